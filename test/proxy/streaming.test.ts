import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const streamBody = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Hi' }],
});

describe('streaming', () => {
  it('delivers the first SSE frame before the upstream has finished the stream', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'x-mock-scenario': 'frame-gap=150',
      },
      body: streamBody,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const chunks: string[] = [];
    let sawFirstWhileUpstreamBusy = false;
    for await (const chunk of res.body) {
      if (chunks.length === 0) {
        // The mock is still waiting between frames: the response we read is not complete.
        const rec = ctx.mock.requests[0]!;
        sawFirstWhileUpstreamBusy = !rec.finished;
      }
      chunks.push(chunk.toString());
    }
    expect(sawFirstWhileUpstreamBusy).toBe(true);
    const text = chunks.join('');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('forwards a stream byte for byte', async () => {
    const viaGateway = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: streamBody,
    });
    const direct = await request(`${ctx.mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: streamBody,
    });
    expect(await viaGateway.body.text()).toBe(await direct.body.text());
  });

  it('aborts the upstream call when the client disconnects', async () => {
    const controller = new AbortController();
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'x-mock-scenario': 'frame-gap=300',
      },
      body: streamBody,
      signal: controller.signal,
    });
    const it = res.body[Symbol.asyncIterator]();
    await it.next();
    controller.abort();
    const deadline = Date.now() + 5000;
    while (!ctx.mock.requests[0]?.aborted && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(ctx.mock.requests[0]?.aborted).toBe(true);
    await ctx.gw.flushLogs();
    await new Promise((r) => setTimeout(r, 50));
    await ctx.gw.flushLogs();
    const logs = await ctx.gw.api('GET', '/gateways/default/logs');
    expect(logs.json.result[0].success).toBe(false);
  });

  it('aborts the upstream call when the client leaves before the upstream answers', async () => {
    const controller = new AbortController();
    const pending = request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk', 'x-mock-scenario': 'hang' },
      body: streamBody,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await ctx.mock.waitForRequests(1, 5000);
    controller.abort();
    await pending;
    const deadline = Date.now() + 5000;
    while (!ctx.mock.requests[0]?.aborted && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(ctx.mock.requests[0]?.aborted).toBe(true);
  });

  it('ends a stream the upstream cut off mid-way with an error frame, not a silent end', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'x-mock-scenario': 'cut-mid-stream',
      },
      body: streamBody,
    });
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    expect(text).not.toContain('[DONE]');
    const last = text.trimEnd().split('\n\n').at(-1)!;
    expect(last.startsWith('data: ')).toBe(true);
    const frame = JSON.parse(last.slice('data: '.length)) as { error: { message: string; type: string } };
    expect(frame.error.type).toBe('server_error');
    expect(frame.error.message).toMatch(/upstream stream interrupted/);
  });
});
