import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`on ${database.name}`, () => {
    const env: Record<string, string> = {};
    beforeAll(async () => {
      Object.assign(env, await database.env());
    });
    const ctx = useGatewayWithMock(env);

    async function send(path: string, body: unknown, headers: Record<string, string> = {}) {
      const res = await request(`${ctx.gw.gatewayUrl()}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      return res.headers['cf-aig-log-id'] as string;
    }

    async function logOf(id: string) {
      await ctx.gw.flushLogs();
      const r = await ctx.gw.api('GET', `/gateways/default/logs/${id}`);
      expect(r.status).toBe(200);
      return r.json.result;
    }

    const messages = [{ role: 'user', content: 'Hello' }];

    describe('usage and model, read from JSON and from streams, into the log', () => {
      const cases: Array<{
        name: string;
        path: string;
        body: Record<string, unknown>;
        model: string;
        stream: boolean;
      }> = [
        {
          name: 'openai json',
          path: 'openai/chat/completions',
          body: { model: 'gpt-4o-mini', messages },
          model: 'gpt-4o-mini',
          stream: false,
        },
        {
          name: 'openai stream',
          path: 'openai/chat/completions',
          body: { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } },
          model: 'gpt-4o-mini',
          stream: true,
        },
        {
          name: 'anthropic json',
          path: 'anthropic/v1/messages',
          body: { model: 'claude-sonnet-4-5', max_tokens: 100, messages },
          model: 'claude-sonnet-4-5',
          stream: false,
        },
        {
          name: 'anthropic stream',
          path: 'anthropic/v1/messages',
          body: { model: 'claude-sonnet-4-5', max_tokens: 100, messages, stream: true },
          model: 'claude-sonnet-4-5',
          stream: true,
        },
        {
          name: 'gemini json',
          path: 'google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent',
          body: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] },
          model: 'gemini-2.5-flash',
          stream: false,
        },
        {
          name: 'gemini stream',
          path: 'google-ai-studio/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
          body: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] },
          model: 'gemini-2.5-flash',
          stream: true,
        },
        {
          name: 'groq (openai-compatible)',
          path: 'groq/chat/completions',
          body: { model: 'llama-3.3-70b', messages },
          model: 'llama-3.3-70b',
          stream: false,
        },
      ];

      for (const c of cases) {
        it(c.name, async () => {
          const id = await send(c.path, c.body, { 'cf-aig-metadata': '{"user":"u1","n":3,"beta":true}' });
          const log = await logOf(id);
          expect(log).toMatchObject({
            id,
            provider: c.path.split('/')[0],
            model: c.model,
            status_code: 200,
            success: true,
            cached: false,
          });
          expect(log.tokens_in).toBeGreaterThan(0);
          expect(log.tokens_out).toBeGreaterThan(0);
          expect(JSON.parse(log.metadata)).toEqual({ user: 'u1', n: 3, beta: true });
          expect(log.duration).toBeGreaterThanOrEqual(0);
          expect(new Date(log.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
        });
      }

      it('an error inside a 200 stream marks the log failed', async () => {
        const id = await send(
          'openai/chat/completions',
          { model: 'gpt-4o-mini', messages, stream: true },
          { 'x-mock-scenario': 'stream-error' },
        );
        const log = await logOf(id);
        expect(log.success).toBe(false);
        expect(log.status_code).toBe(200);
      });

      it('lists logs newest first with pagination', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++)
          ids.push(await send('openai/chat/completions', { model: 'gpt-4o-mini', messages }));
        await ctx.gw.flushLogs();
        const page = await ctx.gw.api('GET', '/gateways/default/logs?per_page=2&page=1');
        expect(page.json.result.map((l: { id: string }) => l.id)).toEqual([ids[2], ids[1]]);
        expect(page.json.result_info.total_count).toBeGreaterThanOrEqual(3);
      });

      it('a gateway with collect_logs off writes no log, and cf-aig-collect-log overrides it both ways', async () => {
        const gws = ctx.gw.gatehouse.app.gateways;
        const base = gws.get('local', 'default')!.settings;
        await gws.create('local', 'quiet', { ...base, collect_logs: false });
        const url = `${ctx.gw.gatewayUrl('quiet')}/openai/chat/completions`;
        const body = JSON.stringify({ model: 'gpt-4o-mini', messages });
        const r1 = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await r1.body.text();
        const r2 = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-aig-collect-log': 'true' },
          body,
        });
        await r2.body.text();
        await ctx.gw.flushLogs();
        const logs = await ctx.gw.api('GET', '/gateways/quiet/logs');
        expect(logs.json.result.map((l: { id: string }) => l.id)).toEqual([r2.headers['cf-aig-log-id']]);

        const r3 = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-aig-collect-log': 'false' },
          body,
        });
        await r3.body.text();
        await ctx.gw.flushLogs();
        expect(
          (await ctx.gw.api('GET', `/gateways/default/logs/${r3.headers['cf-aig-log-id']}`)).status,
        ).toBe(404);
      });
    });
  });
}
