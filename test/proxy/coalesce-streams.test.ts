import OpenAI from 'openai';
import { type Dispatcher, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

// 13 SSE frames 40 ms apart: about half a second from the first byte to the last.
const PACED = { 'x-mock-scenario': 'frame-gap=40' };

/** A streamed chat request, read chunk by chunk: when its first byte and its end arrived. */
interface Timed {
  status: number;
  cache: string | undefined;
  logId: string;
  text: string;
  firstByteAt: number;
  endedAt: number;
}

describe('identical streaming requests follow one upstream call as it arrives', () => {
  let gw: TestGateway;
  let mock: MockUpstream;

  beforeAll(async () => {
    ({ gw, mock } = await startWithMock());
    await gw.gatehouse.app.gateways.create('local', 'cached', { ...DEFAULT_SETTINGS, cache_ttl: 300 });
  });
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });
  beforeEach(async () => {
    mock.reset();
    await gw.api('DELETE', '/gateways/cached/cache');
  });

  const streamBody = (content: string) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content }],
    });

  async function open(content: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
    return request(`${gw.gatewayUrl('cached')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-one', ...PACED, ...headers },
      body: streamBody(content),
      signal,
    });
  }

  async function read(res: Dispatcher.ResponseData): Promise<Timed> {
    let text = '';
    let firstByteAt = 0;
    for await (const chunk of res.body) {
      firstByteAt ||= performance.now();
      text += chunk.toString();
    }
    return {
      status: res.statusCode,
      cache: res.headers['cf-aig-cache-status'] as string | undefined,
      logId: res.headers['cf-aig-log-id'] as string,
      text,
      firstByteAt,
      endedAt: performance.now(),
    };
  }

  /** The text an OpenAI chat stream carries, from its frames. */
  function assembled(sse: string): string {
    let out = '';
    for (const line of sse.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta?: { content?: string } }> };
      out += chunk.choices[0]?.delta?.content ?? '';
    }
    return out;
  }

  async function logOf(id: string) {
    await gw.flushLogs();
    return (await gw.api('GET', `/gateways/cached/logs/${id}`)).json.result;
  }

  it('waiters get the bytes so far at once, then each chunk as the leader gets it; one upstream call', async () => {
    const leader = await open('live');
    // The leader's head is out: the others arrive while its stream is under way.
    const waiters = await Promise.all([open('live'), open('live')]);
    const [a, b, c] = (await Promise.all([read(leader), ...waiters.map(read)])) as [Timed, Timed, Timed];
    expect(mock.requests).toHaveLength(1);
    expect([a.cache, b.cache, c.cache]).toEqual(['MISS', 'HIT', 'HIT']);
    expect(b.text).toBe(a.text);
    expect(c.text).toBe(a.text);
    expect(a.text).toContain('data: [DONE]');
    // A waiter's first byte comes long before the leader's stream is over (~0.5 s), not after it.
    for (const w of [b, c]) expect(a.endedAt - w.firstByteAt).toBeGreaterThan(200);

    // The official SDK, as a waiter, consumes it like any stream; and the answer was stored.
    const sdk = new OpenAI({
      apiKey: 'sk-one',
      baseURL: `${gw.gatewayUrl('cached')}/openai`,
      maxRetries: 0,
      defaultHeaders: PACED,
    });
    mock.reset();
    await gw.api('DELETE', '/gateways/cached/cache');
    const first = await open('sdk');
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'sdk' }],
    });
    let sdkText = '';
    for await (const part of stream) sdkText += part.choices[0]?.delta?.content ?? '';
    const led = await read(first);
    expect(sdkText.length).toBeGreaterThan(0);
    expect(sdkText).toBe(assembled(led.text));
    expect(mock.requests).toHaveLength(1);

    // Each waiter is logged as a hit with the stream's token counts, at no cost.
    const waiterLog = await logOf(b.logId);
    expect(waiterLog).toMatchObject({ cached: true, status_code: 200, success: true, cost: 0 });
    expect(waiterLog.tokens_out).toBeGreaterThan(0);
    expect(waiterLog.tokens_out).toBe((await logOf(a.logId)).tokens_out);
  });

  it('the leader’s client leaving does not cut the waiters off: the stream is read to its end and stored', async () => {
    const controller = new AbortController();
    const leader = await open('left', {}, controller.signal);
    const waiter = await open('left');
    const waited = read(waiter);
    // The leader's client reads a little, then goes away.
    const it = leader.body[Symbol.asyncIterator]();
    await it.next();
    controller.abort();
    await it.return?.().catch(() => undefined);
    const w = await waited;
    expect(w.status).toBe(200);
    expect(w.text).toContain('data: [DONE]');
    expect(mock.requests).toHaveLength(1);

    // The whole answer was stored: the next identical request is a hit with the same bytes.
    const again = await read(await open('left'));
    expect(again.cache).toBe('HIT');
    expect(again.text).toBe(w.text);
    expect(mock.requests).toHaveLength(1);
    const leaderLog = await logOf(leader.headers['cf-aig-log-id'] as string);
    expect(leaderLog).toMatchObject({ success: false, cached: false });
    expect(leaderLog.error).toMatch(/client disconnected/);
  });

  it('a stream cut off upstream ends every follower with the provider’s error frame; nothing is stored', async () => {
    const cut = { 'x-mock-scenario': 'frame-gap=40;cut-mid-stream' };
    const leader = await open('cut', cut);
    const sdk = new OpenAI({
      apiKey: 'sk-one',
      baseURL: `${gw.gatewayUrl('cached')}/openai`,
      maxRetries: 0,
      defaultHeaders: cut,
    });
    const following = (async () => {
      const stream = await sdk.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'cut' }],
      });
      for await (const _ of stream) {
        // read on until the error
      }
    })();
    await expect(following).rejects.toThrow(/interrupted/);
    const a = await read(leader);
    expect(a.text).toContain('upstream stream interrupted');
    expect(mock.requests).toHaveLength(1);
    mock.reset();
    const after = await read(await open('cut'));
    expect(after.cache).toBe('MISS');
    expect(mock.requests).toHaveLength(1);
  });
});
