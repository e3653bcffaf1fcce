import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';

const ctx = useGatewayWithMock();

async function chat(model: string) {
  const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await res.body.text();
  return res.headers['cf-aig-log-id'] as string;
}

describe('live tail', () => {
  it('streams new entries as they are written, filtered', async () => {
    const controller = new AbortController();
    const filters = encodeURIComponent(JSON.stringify([{ key: 'model', operator: 'eq', value: ['gpt-4o'] }]));
    const res = await fetch(`${ctx.gw.apiUrl}/gateways/default/logs/tail?filters=${filters}`, {
      headers: { authorization: `Bearer ${ctx.gw.adminToken}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const seen: Array<Record<string, unknown>> = [];
    const parser = createParser({ onEvent: (e) => e.event === 'log' && seen.push(JSON.parse(e.data)) });
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk));
      } catch {
        // aborted at the end of the test
      }
    })();
    await chat('gpt-4o-mini');
    const wanted = await chat('gpt-4o');
    await ctx.gw.flushLogs();
    const deadline = Date.now() + 3000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await reading;
    expect(seen.map((s) => s['id'])).toEqual([wanted]);
    expect(seen[0]).toMatchObject({ provider: 'openai', model: 'gpt-4o', success: true });
  });

  it('refuses bad filters before opening the stream', async () => {
    const r = await ctx.gw.api(
      'GET',
      `/gateways/default/logs/tail?filters=${encodeURIComponent('[{"key":"nope"}]')}`,
    );
    expect(r.status).toBe(400);
  });

  it('gatehouse logs tail prints entries as they come', async () => {
    const p = spawnCli(
      [
        'logs',
        'tail',
        '--gateway',
        'default',
        '--model',
        'gpt-4o',
        '--url',
        ctx.gw.url,
        '--admin-token',
        ctx.gw.adminToken,
      ],
      {},
    );
    await p.waitFor(/tailing default/);
    await chat('gpt-4o');
    await ctx.gw.flushLogs();
    await p.waitFor(/openai {2}gpt-4o {2}200 {2}\d+ms {2}\d+→\d+ {2}\$0\.\d+/);
    p.child.kill('SIGINT');
    await p.exited;
  });
});
