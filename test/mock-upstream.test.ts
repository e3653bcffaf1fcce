import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, parseScenario, startMockUpstream } from './fixtures/mock-upstream.ts';

let mock: MockUpstream;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock?.close());
beforeEach(() => mock.reset());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** The `data:` payloads of an SSE body, parsed (except `[DONE]`). */
function sseData(text: string): unknown[] {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((frame) => frame.split(/\r?\n/).filter((l) => l.startsWith('data: ')))
    .map((l) => l.slice(6))
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d) as unknown);
}

const sseEvents = (text: string) => [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);

const chat = { model: 'my-model', messages: [{ role: 'user', content: 'Hi' }] };

describe('fixtures', () => {
  it('JSON fixtures parse directly', () => {
    for (const f of [
      'openai/chat-completion.json',
      'openai/embeddings.json',
      'anthropic/messages.json',
      'google-ai-studio/generate-content.json',
    ]) {
      expect(() =>
        JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/providers', f), 'utf8')),
      ).not.toThrow();
    }
  });
});

describe('openai format', () => {
  it('chat completion JSON echoes the model and keeps the recorded formatting', async () => {
    const res = await post('/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    const json = JSON.parse(text) as { model: string; object: string; usage: { total_tokens: number } };
    expect(json).toMatchObject({ model: 'my-model', object: 'chat.completion', usage: { total_tokens: 29 } });
    expect(text).toContain('\n  "model": "my-model",\n');
    expect(mock.requests[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions', aborted: false });
    expect(JSON.parse(mock.requests[0]!.body.toString())).toEqual(chat);
  });

  it('chat completion SSE: usage chunk only with include_usage, ends with [DONE]', async () => {
    const withUsage = await (
      await post('/v1/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } })
    ).text();
    expect(withUsage.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = sseData(withUsage) as Array<{ model: string; choices: unknown[]; usage: unknown }>;
    expect(chunks.every((c) => c.model === 'my-model')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 29 } });

    const res = await post('/v1/chat/completions', { ...chat, stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const plain = await res.text();
    expect(plain).not.toContain('usage');
    expect(sseData(plain)).toHaveLength(chunks.length - 1);
  });

  it('sends a stream frame by frame', async () => {
    const res = await post(
      '/v1/chat/completions',
      { ...chat, stream: true },
      { 'x-mock-scenario': 'frame-gap=100' },
    );
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first.match(/^data: /gm)).toHaveLength(1);
    expect(first.endsWith('\n\n')).toBe(true);
    expect(mock.requests[0]!.finished).toBe(false);
    await reader.cancel();
  });

  it('embeddings, responses (JSON and SSE) and models', async () => {
    const emb = (await (await post('/v1/embeddings', { model: 'emb', input: 'x' })).json()) as {
      model: string;
      data: Array<{ embedding: number[] }>;
    };
    expect(emb.model).toBe('emb');
    expect(emb.data[0]!.embedding.length).toBeGreaterThan(0);

    const resp = (await (await post('/v1/responses', { model: 'r-model', input: 'hi' })).json()) as {
      object: string;
      model: string;
    };
    expect(resp).toMatchObject({ object: 'response', model: 'r-model' });
    const stream = await (
      await post('/v1/responses', { model: 'r-model', input: 'hi', stream: true })
    ).text();
    const events = sseEvents(stream);
    expect(events[0]).toBe('response.created');
    expect(events.at(-1)).toBe('response.completed');

    const models = (await (await fetch(`${mock.url}/v1/models`)).json()) as {
      object: string;
      data: unknown[];
    };
    expect(models.object).toBe('list');
    expect(models.data.length).toBeGreaterThan(0);
  });

  it('unknown routes are a 404 in OpenAI error shape', async () => {
    const res = await post('/v1/nope', {});
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/nope)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });
});

describe('anthropic format', () => {
  const msg = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] };

  it('messages JSON', async () => {
    const json = (await (await post('/v1/messages', msg)).json()) as { type: string; model: string };
    expect(json).toMatchObject({ type: 'message', model: 'claude-x' });
  });

  it('messages SSE with named events', async () => {
    const text = await (await post('/v1/messages', { ...msg, stream: true })).text();
    expect(sseEvents(text)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sseData(text)[0]).toMatchObject({ message: { model: 'claude-x' } });
  });
});

describe('gemini format', () => {
  const body = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] };

  it('generateContent JSON', async () => {
    const res = await post('/v1beta/models/gemini-x:generateContent', body);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(await res.json()).toMatchObject({
      modelVersion: 'gemini-x',
      candidates: [{ finishReason: 'STOP' }],
    });
  });

  it('streamGenerateContent: SSE with \\r\\n\\r\\n frames, or one streamed JSON array', async () => {
    const sse = await (await post('/v1beta/models/gemini-x:streamGenerateContent?alt=sse', body)).text();
    expect(
      sse
        .split('\r\n\r\n')
        .filter(Boolean)
        .every((f) => f.startsWith('data: {')),
    ).toBe(true);
    const chunks = sseData(sse);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => (c as { modelVersion: string }).modelVersion === 'gemini-x')).toBe(true);

    const res = await post('/v1beta/models/gemini-x:streamGenerateContent', body);
    const array = JSON.parse(await res.text()) as unknown[];
    expect(array).toEqual(chunks);
    expect(mock.requests[0]!.url).toBe('/v1beta/models/gemini-x:streamGenerateContent?alt=sse');
  });
});

describe('faults', () => {
  it('status=NNN answers in each provider error shape, with retry-after headers', async () => {
    const h = { 'x-mock-scenario': 'status=429;retry-after=1;retry-after-ms=1500' };
    const o = await post('/v1/chat/completions', chat, h);
    expect(o.status).toBe(429);
    expect(o.headers.get('retry-after')).toBe('1');
    expect(o.headers.get('retry-after-ms')).toBe('1500');
    expect(await o.json()).toMatchObject({
      error: { type: 'requests', code: 'rate_limit_exceeded', param: null },
    });

    const a = await post('/v1/messages', {}, { 'x-mock-scenario': 'status=529' });
    expect(await a.json()).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    const g = await post('/v1beta/models/g:generateContent', {}, { 'x-mock-scenario': 'status=503' });
    expect(await g.json()).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
  });

  it('hang never answers; the client leaving marks the request aborted', async () => {
    const res = fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-mock-scenario': 'hang' },
      body: JSON.stringify(chat),
      signal: AbortSignal.timeout(200),
    });
    await expect(res).rejects.toThrow();
    await until(() => mock.requests[0]?.aborted === true);
    expect(mock.requests[0]!.finished).toBe(false);
  });

  it('reset destroys the socket before any response (not counted as a client abort)', async () => {
    await expect(post('/v1/chat/completions', chat, { 'x-mock-scenario': 'reset' })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 20));
    expect(mock.requests[0]).toMatchObject({ aborted: false, finished: false });
  });

  it('slow-first-byte and delay hold the response head', async () => {
    for (const scenario of ['slow-first-byte=150', 'delay=150']) {
      const start = performance.now();
      const res = await post('/v1/chat/completions', chat, { 'x-mock-scenario': scenario });
      expect(performance.now() - start).toBeGreaterThanOrEqual(140);
      expect(res.status).toBe(200);
      await res.text();
    }
  });

  it('stream-error carries the provider error frame in a 200 stream', async () => {
    const h = { 'x-mock-scenario': 'stream-error' };
    const o = await post('/v1/chat/completions', { ...chat, stream: true }, h);
    expect(o.status).toBe(200);
    const oText = await o.text();
    expect(sseData(oText).at(-1)).toMatchObject({ error: { type: 'server_error' } });
    expect(oText).not.toContain('[DONE]');

    const a = await (await post('/v1/messages', { model: 'c', stream: true }, h)).text();
    expect(sseEvents(a).at(-1)).toBe('error');
    expect(sseData(a).at(-1)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });

    const g = await post('/v1beta/models/g:streamGenerateContent', {}, h);
    expect((JSON.parse(await g.text()) as unknown[]).at(-1)).toMatchObject({ error: { code: 503 } });
  });

  it('cut-mid-stream sends some frames, then destroys the socket', async () => {
    const res = await post(
      '/v1/chat/completions',
      { ...chat, stream: true },
      { 'x-mock-scenario': 'cut-mid-stream;frame-gap=10' },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const error = await (async () => {
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read())
          text += new TextDecoder().decode(r.value);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(sseData(text).length).toBeGreaterThan(1);
    expect(text).not.toContain('[DONE]');
    expect(mock.requests[0]!.aborted).toBe(false);
  });

  it('echo returns exactly what was received, bytes included', async () => {
    const sent = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const res = await fetch(`${mock.url}/any/path?q=1&q=2`, {
      method: 'PUT',
      headers: { 'x-mock-scenario': 'echo', 'x-custom': 'Value', 'content-type': 'application/octet-stream' },
      body: sent,
    });
    const echo = (await res.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body_base64: string;
    };
    expect(echo.method).toBe('PUT');
    expect(echo.url).toBe('/any/path?q=1&q=2');
    expect(echo.headers['x-custom']).toBe('Value');
    expect(Buffer.from(echo.body_base64, 'base64').equals(sent)).toBe(true);
    expect(mock.requests[0]!.body.equals(sent)).toBe(true);
  });

  it('bytes=N answers N deterministic bytes, noise=N bytes that do not compress; header:NAME=VALUE adds response headers', async () => {
    const get = () =>
      fetch(`${mock.url}/blob`, {
        headers: { 'x-mock-scenario': 'bytes=100000;header:x-upstream=yes;header:keep-alive=timeout=5' },
      });
    const a = await get();
    expect(a.headers.get('content-type')).toBe('application/octet-stream');
    expect(a.headers.get('x-upstream')).toBe('yes');
    expect(a.headers.get('keep-alive')).toBe('timeout=5');
    const bytesA = Buffer.from(await a.arrayBuffer());
    const bytesB = Buffer.from(await (await get()).arrayBuffer());
    expect(bytesA.length).toBe(100000);
    expect(bytesA.equals(bytesB)).toBe(true);
    expect(deflateRawSync(bytesA).length).toBeLessThan(10_000);
    // noise=N: as deterministic, and incompressible.
    const noise = async () =>
      Buffer.from(
        await (
          await fetch(`${mock.url}/blob`, { headers: { 'x-mock-scenario': 'noise=100000' } })
        ).arrayBuffer(),
      );
    const noiseA = await noise();
    expect(noiseA.length).toBe(100000);
    expect(noiseA.equals(await noise())).toBe(true);
    expect(deflateRawSync(noiseA).length).toBeGreaterThan(100_000);
  });

  it('usage=IN,OUT reports those counts in a JSON answer, as written', async () => {
    const text = await (
      await post('/v1/chat/completions', chat, { 'x-mock-scenario': 'usage=3.5,1e12' })
    ).text();
    expect(text).toMatch(/"prompt_tokens":3\.5,/);
    expect(JSON.parse(text).usage).toMatchObject({ prompt_tokens: 3.5, completion_tokens: 1e12 });
    expect(() => parseScenario('usage=1')).toThrow(/two numbers/);
    expect(() => parseScenario('usage=1,x')).toThrow(/two numbers/);
  });

  it('enqueue applies to the next request only', async () => {
    mock.enqueue('status=500');
    expect((await post('/v1/chat/completions', chat)).status).toBe(500);
    expect((await post('/v1/chat/completions', chat)).status).toBe(200);
    expect(() => mock.enqueue('explode')).toThrow(/unknown scenario part/);
  });

  it('reset and waitForRequests', async () => {
    void post('/v1/chat/completions', chat).then((r) => r.text());
    await mock.waitForRequests(1, 2000);
    mock.reset();
    expect(mock.requests).toHaveLength(0);
    await expect(mock.waitForRequests(1, 50)).rejects.toThrow(/0 of 1/);
  });
});

describe('parseScenario', () => {
  it('parses combined parts and rejects mistakes', () => {
    expect(parseScenario('status=429; retry-after=1;header:a=b=c;frame-gap=5')).toMatchObject({
      status: 429,
      retryAfter: '1',
      frameGapMs: 5,
      headers: [['a', 'b=c']],
    });
    expect(() => parseScenario('status=abc')).toThrow();
    expect(() => parseScenario('hang=1')).toThrow();
    expect(() => parseScenario('delay')).toThrow();
  });
});

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
