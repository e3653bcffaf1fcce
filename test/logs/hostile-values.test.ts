import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

/**
 * What a client or a provider sends must never stop logging or fail a logs query: on Postgres a
 * NUL in a model name, or a fractional or huge token count, used to fail the whole batch it sat
 * in (retried for good, so no row was stored again), and a fraction or a 64-bit bound in a filter
 * failed the query with a 500. A parameter named like something every JS object has
 * (`constructor`, `__proto__`) was read as one of the logs list's parameters.
 */
for (const database of DATABASES) {
  describe.skipIf(database.skip)(`values a client or provider chose, on ${database.name}`, () => {
    const env: Record<string, string> = {};
    beforeAll(async () => {
      Object.assign(env, await database.env());
    });
    const ctx = useGatewayWithMock(env);
    const ids: Record<string, string> = {};

    /** `headers` as name, value, name, value…: an object literal cannot hold a `__proto__` key. */
    async function send(name: string, model: string, headers: string[] = []) {
      const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
        method: 'POST',
        headers: ['content-type', 'application/json', 'authorization', 'Bearer sk-test', ...headers],
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      ids[name] = res.headers['cf-aig-log-id'] as string;
    }
    const list = async (query: string) => {
      const r = await ctx.gw.api('GET', `/gateways/default/logs?per_page=100&${query}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.result as Array<Record<string, any>>;
    };
    const filter = (f: unknown[]) => `filters=${encodeURIComponent(JSON.stringify(f))}`;

    beforeAll(async () => {
      await send('before', 'gpt-4o-mini');
      await send('nul', 'bad\u0000model');
      await send('lone', 'half\ud800pair');
      await send('literal', 'reads\\u0000as text');
      await send('bogus', 'gpt-4o', ['x-mock-scenario', 'usage=3.5,1e12']);
      await send('huge', 'gpt-4o', ['x-mock-scenario', 'usage=1e300,0']);
      await send('after', 'gpt-4o-mini', ['__proto__', 'yes', 'constructor', 'x']);
      await ctx.gw.flushLogs();
    });

    it('a lone surrogate half in a model name is logged as U+FFFD; text that reads \\u0000 stays text', async () => {
      const rows = await list('');
      const byId = (name: string) => rows.find((r) => r['id'] === ids[name])!;
      expect(byId('lone')['model']).toBe('half\uFFFDpair');
      expect(byId('literal')['model']).toBe('reads\\u0000as text');
    });

    it('a NUL in a model name is logged, and so is every row of its batch', async () => {
      const rows = await list('');
      expect(rows.map((r) => r['id']).sort()).toEqual(Object.values(ids).sort());
      const nul = rows.find((r) => r['id'] === ids['nul'])!;
      // Postgres text cannot hold U+0000: it is stored, and looked up, as U+FFFD.
      expect(nul['model']).toBe(database.name === 'postgres' ? 'bad\uFFFDmodel' : 'bad\u0000model');
      const found = await list(filter([{ key: 'model', operator: 'eq', value: ['bad\u0000model'] }]));
      expect(found.map((r) => r['id'])).toEqual([ids['nul']]);
      expect((await ctx.gw.api('GET', '/gateways/default/logs/%00')).status).toBe(404);
      expect((await ctx.gw.api('GET', '/gateways/default/logs/a%00b/response')).status).toBe(404);
    });

    it('token counts no model reports are stored as the nearest count a 32-bit column holds', async () => {
      const rows = await list('');
      const bogus = rows.find((r) => r['id'] === ids['bogus'])!;
      expect(bogus).toMatchObject({ tokens_in: 4, tokens_out: 1_000_000_000 });
      expect(rows.find((r) => r['id'] === ids['huge'])).toMatchObject({
        tokens_in: 1_000_000_000,
        tokens_out: 0,
      });
      // In and out summed (the `tokens` filter) still fit in 32 bits.
      const most = await list(filter([{ key: 'tokens', operator: 'gt', value: [1_000_000_001] }]));
      expect(most.map((r) => r['id'])).toEqual([ids['bogus']]);
    });

    it('fractions and numbers past a column type compare as written', async () => {
      const all = await list('');
      const idsOf = (rows: Array<Record<string, any>>) => rows.map((r) => r['id']).sort();
      const where = (pred: (r: Record<string, any>) => boolean) => idsOf(all.filter(pred));
      const withTokens = (r: Record<string, any>) => r['tokens_in'] !== null;
      for (const [f, pred] of [
        [{ key: 'tokens_in', operator: 'lt', value: [19.5] }, (r) => withTokens(r) && r['tokens_in'] < 19.5],
        [{ key: 'tokens_in', operator: 'gt', value: [3.5] }, (r) => withTokens(r) && r['tokens_in'] > 3.5],
        [{ key: 'tokens_in', operator: 'gt', value: [4.5] }, (r) => withTokens(r) && r['tokens_in'] > 4.5],
        [{ key: 'tokens_in', operator: 'lt', value: [1e12] }, withTokens],
        [{ key: 'tokens_in', operator: 'gt', value: [-1e12] }, withTokens],
        [{ key: 'tokens_in', operator: 'gt', value: [1e12] }, () => false],
        [{ key: 'tokens_in', operator: 'lt', value: [-1e12] }, () => false],
        [{ key: 'tokens_in', operator: 'eq', value: [3.5] }, () => false],
        [{ key: 'tokens_in', operator: 'eq', value: [4, 1e12] }, (r) => r['tokens_in'] === 4],
        [{ key: 'duration', operator: 'gt', value: [-0.5] }, () => true],
        [{ key: 'duration', operator: 'neq', value: [0.5] }, () => true],
        [{ key: 'created_at', operator: 'lt', value: [1e20] }, () => true],
        [{ key: 'created_at', operator: 'gt', value: [-1e20] }, () => true],
        [{ key: 'tokens', operator: 'lt', value: [null] }, () => false],
      ] as Array<[unknown, (r: Record<string, any>) => boolean]>) {
        expect(idsOf(await list(filter([f]))), JSON.stringify(f)).toEqual(where(pred));
      }
      // The deprecated flat bounds go the same way; `contains` reads a number as its digits.
      expect(idsOf(await list('min_tokens_in=3.5&max_tokens_in=4.5'))).toEqual([ids['bogus']]);
      const ones = await list(filter([{ key: 'tokens_in', operator: 'contains', value: [1] }]));
      expect(idsOf(ones)).toEqual(where((r) => withTokens(r) && String(r['tokens_in']).includes('1')));
    });

    it('names every JS object has are neither list parameters nor analytics buckets', async () => {
      const all = await list('');
      for (const q of [
        'constructor=x',
        '__proto__=x',
        'toString=x',
        'min_constructor=1',
        'max___proto__=2',
      ]) {
        expect((await list(q)).length, q).toBe(all.length);
      }
      for (const bucket of ['constructor', 'toString', '__proto__']) {
        const r = await ctx.gw.api('GET', `/analytics?bucket=${bucket}`);
        expect(r.status, bucket).toBe(400);
        expect(r.json.errors[0].message).toMatch(/bucket must be minute, hour or day/);
      }
    });

    it('a request header named __proto__ is forwarded and logged like any other', async () => {
      const got = await ctx.gw.api('GET', `/gateways/default/logs/${ids['after']}`);
      const head = JSON.parse(got.json.result.request_head);
      expect(Object.hasOwn(head, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(head, '__proto__')?.value).toBe('yes');
      expect(head['constructor']).toBe('x');
    });
  });
}
