import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { DATABASES } from '../helpers/databases.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`log_management on ${database.name}`, () => {
    const env: Record<string, string> = {};
    beforeAll(async () => {
      Object.assign(env, await database.env());
    });
    const ctx = useGatewayWithMock(env);

    async function sendMany(gateway: string, n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await request(`${ctx.gw.gatewayUrl(gateway)}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] }),
        });
        await res.body.text();
        ids.push(res.headers['cf-aig-log-id'] as string);
        // Separate batches, as a gateway under steady traffic writes them.
        if (i % 3 === 2) await ctx.gw.flushLogs();
      }
      await ctx.gw.flushLogs();
      return ids;
    }
    const stored = async (gateway: string) =>
      (
        (await ctx.gw.api('GET', `/gateways/${gateway}/logs?per_page=100`)).json.result as Array<{
          id: string;
        }>
      )
        .map((l) => l.id)
        .reverse();

    it('STOP_INSERTING keeps the first N and drops the rest', async () => {
      await ctx.gw.gatehouse.app.gateways.create('local', 'stop5', {
        ...DEFAULT_SETTINGS,
        log_management: 5,
        log_management_strategy: 'STOP_INSERTING',
      });
      const ids = await sendMany('stop5', 8);
      expect(await stored('stop5')).toEqual(ids.slice(0, 5));
    });

    it('DELETE_OLDEST keeps the newest N, bodies of the deleted ones go too', async () => {
      await ctx.gw.gatehouse.app.gateways.create('local', 'rolling5', {
        ...DEFAULT_SETTINGS,
        log_management: 5,
        log_management_strategy: 'DELETE_OLDEST',
      });
      const ids = await sendMany('rolling5', 8);
      expect(await stored('rolling5')).toEqual(ids.slice(3));
      expect((await ctx.gw.api('GET', `/gateways/rolling5/logs/${ids[0]}/request`)).status).toBe(404);
      expect((await ctx.gw.api('GET', `/gateways/rolling5/logs/${ids[7]}/request`)).status).toBe(200);
    });
  });
}
