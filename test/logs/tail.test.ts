import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';
import { openTail } from '../helpers/tail-client.ts';

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
    const tail = await openTail(ctx.gw, 'default', [{ key: 'model', operator: 'eq', value: ['gpt-4o'] }]);
    expect(tail.res.status).toBe(200);
    expect(tail.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await tail.ready;
    await chat('gpt-4o-mini');
    const wanted = await chat('gpt-4o');
    await ctx.gw.flushLogs();
    await tail.until(1, 3000);
    await tail.close();
    const { seen } = tail;
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
