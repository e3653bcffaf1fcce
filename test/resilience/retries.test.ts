import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
const streamBody = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Hi' }],
});

async function chat(headers: Record<string, string>, body = chatBody, gateway = 'default') {
  const res = await request(`${ctx.gw.gatewayUrl(gateway)}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-retry', ...headers },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** Log rows of one request, oldest attempt first. */
async function attemptsOf(requestId: string, gateway = 'default') {
  await ctx.gw.flushLogs();
  const r = await ctx.gw.api('GET', `/gateways/${gateway}/logs?per_page=1000`);
  expect(r.status).toBe(200);
  return (r.json.result as Array<Record<string, any>>)
    .filter((l) => l['request_id'] === requestId)
    .sort((a, b) => (a['step'] ?? 0) - (b['step'] ?? 0) || a['attempt'] - b['attempt']);
}

function gaps(): number[] {
  const at = ctx.mock.requests.map((r) => r.receivedAt);
  return at.slice(1).map((t, i) => t - at[i]!);
}

describe('retries (cf-aig-max-attempts, cf-aig-retry-delay, cf-aig-backoff)', () => {
  it('retries 500s and answers with the first success; every attempt is logged under one request', async () => {
    ctx.mock.enqueue('status=500');
    ctx.mock.enqueue('status=503');
    const r = await chat({ 'cf-aig-max-attempts': '3', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(r.json().object).toBe('chat.completion');
    expect(ctx.mock.requests).toHaveLength(3);
    const requestId = r.headers['cf-aig-request-id'] as string;
    expect(r.headers['cf-aig-log-id']).not.toBe(requestId);
    const rows = await attemptsOf(requestId);
    expect(rows.map((l) => [l['attempt'], l['status_code'], l['success']])).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(rows[2]!['id']).toBe(r.headers['cf-aig-log-id']);
    expect(new Set(rows.map((l) => l['event_id'])).size).toBe(1);
    expect(rows[0]!['error']).toMatch(/openai answered 500/);
  });

  it('a single-attempt request keeps cf-aig-log-id equal to cf-aig-request-id', async () => {
    const r = await chat({});
    expect(r.headers['cf-aig-log-id']).toBe(r.headers['cf-aig-request-id']);
  });

  it('re-sends the request body byte for byte', async () => {
    ctx.mock.enqueue('status=502');
    const body = `{"model":"gpt-4o-mini",  "messages":[{"role":"user","content":"h\\u00e9llo ✓"}]}`;
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' }, body);
    expect(r.status).toBe(200);
    expect(ctx.mock.requests).toHaveLength(2);
    expect(ctx.mock.requests[0]!.body.equals(Buffer.from(body))).toBe(true);
    expect(ctx.mock.requests[1]!.body.equals(Buffer.from(body))).toBe(true);
    expect(ctx.mock.requests[1]!.headers['authorization']).toBe('Bearer sk-retry');
  });

  it.each([400, 401, 403, 404, 422])('never retries a %i', async (status) => {
    ctx.mock.enqueue(`status=${status}`);
    const r = await chat({ 'cf-aig-max-attempts': '5', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(status);
    expect(ctx.mock.requests).toHaveLength(1);
  });

  it.each([408, 429, 500, 502, 503, 504])('retries a %i', async (status) => {
    ctx.mock.enqueue(`status=${status}`);
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('passes the last failure through unchanged when every attempt fails with a status', async () => {
    for (let i = 0; i < 3; i++) ctx.mock.enqueue('status=503');
    const r = await chat({ 'cf-aig-max-attempts': '3', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(503);
    expect(r.json().error.type).toBeDefined(); // the provider's own error body
    expect(ctx.mock.requests).toHaveLength(3);
  });

  it('retries resets and connection failures; when all fail, the gateway error lists the attempts', async () => {
    ctx.mock.enqueue('reset');
    ctx.mock.enqueue('reset');
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(502);
    const body = r.json();
    expect(body.name).toBe('AiGatewayError');
    expect(body.internalCode).toBe(2005);
    expect(body.message).toMatch(/2 attempts failed \(connection reset; connection reset\)/);
    expect(r.text).not.toContain('sk-retry');
    const rows = await attemptsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows.map((l) => l['attempt'])).toEqual([1, 2]);
  });

  it('a reset followed by a success answers 200', async () => {
    ctx.mock.enqueue('reset');
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('constant backoff waits the delay between attempts', async () => {
    ctx.mock.enqueue('status=500');
    ctx.mock.enqueue('status=500');
    const r = await chat({
      'cf-aig-max-attempts': '3',
      'cf-aig-retry-delay': '150',
      'cf-aig-backoff': 'constant',
    });
    expect(r.status).toBe(200);
    const [a, b] = gaps();
    expect(a).toBeGreaterThanOrEqual(145);
    expect(b).toBeGreaterThanOrEqual(145);
  });

  it('linear backoff waits delay × n', async () => {
    ctx.mock.enqueue('status=500');
    ctx.mock.enqueue('status=500');
    const r = await chat({
      'cf-aig-max-attempts': '3',
      'cf-aig-retry-delay': '100',
      'cf-aig-backoff': 'linear',
    });
    expect(r.status).toBe(200);
    const [a, b] = gaps();
    expect(a).toBeGreaterThanOrEqual(95);
    expect(b).toBeGreaterThanOrEqual(195);
  });

  it('exponential backoff doubles the delay', async () => {
    for (let i = 0; i < 3; i++) ctx.mock.enqueue('status=500');
    const r = await chat({
      'cf-aig-max-attempts': '4',
      'cf-aig-retry-delay': '80',
      'cf-aig-backoff': 'exponential',
    });
    expect(r.status).toBe(200);
    const [a, b, c] = gaps();
    expect(a).toBeGreaterThanOrEqual(75);
    expect(b).toBeGreaterThanOrEqual(155);
    expect(c).toBeGreaterThanOrEqual(315);
  });

  it('honours retry-after-ms from a 429 over a shorter delay', async () => {
    ctx.mock.enqueue('status=429;retry-after-ms=400');
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(gaps()[0]).toBeGreaterThanOrEqual(395);
  });

  it('honours retry-after in seconds', async () => {
    ctx.mock.enqueue('status=429;retry-after=1');
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(gaps()[0]).toBeGreaterThanOrEqual(995);
  });

  it('uses the gateway retry settings when the request sets none', async () => {
    const id = 'retrying-gw';
    const created = await ctx.gw.api('POST', '/gateways', {
      id,
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
      retry_max_attempts: 3,
      retry_delay: 0,
      retry_backoff: 'constant',
    });
    expect(created.status).toBe(200);
    ctx.mock.enqueue('status=500');
    ctx.mock.enqueue('status=500');
    const r = await chat({}, chatBody, id);
    expect(r.status).toBe(200);
    expect(ctx.mock.requests).toHaveLength(3);
    // The request header wins over the gateway setting.
    ctx.mock.reset();
    ctx.mock.enqueue('status=500');
    const once = await chat({ 'cf-aig-max-attempts': '1' }, chatBody, id);
    expect(once.status).toBe(500);
    expect(ctx.mock.requests).toHaveLength(1);
  });

  it.each([
    ['cf-aig-max-attempts', '6', /cf-aig-max-attempts must be an integer from 1 to 5/],
    ['cf-aig-max-attempts', '0', /from 1 to 5/],
    [
      'cf-aig-retry-delay',
      '5001',
      /cf-aig-retry-delay must be an integer number of milliseconds from 0 to 5000/,
    ],
    ['cf-aig-backoff', 'fast', /cf-aig-backoff must be one of "constant", "linear", "exponential"/],
    ['cf-aig-request-timeout', '-1', /cf-aig-request-timeout must be an integer number of milliseconds/],
  ])('rejects %s: %s with a 400 naming the range', async (header, value, message) => {
    const r = await chat({ [header]: value });
    expect(r.status).toBe(400);
    expect(r.json().internalCode).toBe(2011);
    expect(r.json().message).toMatch(message);
    expect(ctx.mock.requests).toHaveLength(0);
  });
});

describe('cf-aig-request-timeout (to the first response byte)', () => {
  it('times out a slow attempt and retries', async () => {
    ctx.mock.enqueue('slow-first-byte=3000');
    const r = await chat({
      'cf-aig-request-timeout': '200',
      'cf-aig-max-attempts': '2',
      'cf-aig-retry-delay': '0',
    });
    expect(r.status).toBe(200);
    expect(ctx.mock.requests).toHaveLength(2);
    expect(ctx.mock.requests[0]!.aborted).toBe(true);
    const rows = await attemptsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows[0]!['error']).toMatch(/no response byte within 200 ms/);
  });

  it('answers 504 (2004) when the only attempt times out', async () => {
    const r = await chat({ 'cf-aig-request-timeout': '150', 'x-mock-scenario': 'hang' });
    expect(r.status).toBe(504);
    expect(r.json().internalCode).toBe(2004);
    expect(r.json().message).toMatch(/no response byte within 150 ms/);
  });

  it('counts only to the first byte: a long stream that starts in time is not cut', async () => {
    const r = await chat({ 'cf-aig-request-timeout': '300', 'x-mock-scenario': 'frame-gap=60' }, streamBody);
    expect(r.status).toBe(200);
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(ctx.mock.requests).toHaveLength(1);
  });
});

describe('errors inside a 200 stream', () => {
  it('retries when the error event comes before any content reached the client', async () => {
    ctx.mock.enqueue('stream-error=0');
    const r = await chat({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' }, streamBody);
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('"error"');
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(ctx.mock.requests).toHaveLength(2);
    const rows = await attemptsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows[0]!['success']).toBe(false);
    expect(rows[0]!['error']).toMatch(/error event/);
    expect(rows[1]!['success']).toBe(true);
  });

  it('retries an Anthropic stream whose first event is `event: error`', async () => {
    ctx.mock.enqueue('stream-error=0');
    const res = await request(`${ctx.gw.gatewayUrl()}/anthropic/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant',
        'cf-aig-max-attempts': '2',
        'cf-aig-retry-delay': '0',
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 32,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(text).not.toContain('event: error');
    expect(text).toContain('event: message_stop');
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('passes an error event that follows content through, and logs the request failed', async () => {
    const r = await chat(
      { 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0', 'x-mock-scenario': 'stream-error=2' },
      streamBody,
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain('"error"');
    expect(ctx.mock.requests).toHaveLength(1);
    const rows = await attemptsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows).toHaveLength(1);
    expect(rows[0]!['success']).toBe(false);
    expect(rows[0]!['error']).toMatch(/server had an error/);
  });

  it('on the last attempt, an error-first stream reaches the client as the provider sent it', async () => {
    const r = await chat({ 'x-mock-scenario': 'stream-error=0' }, streamBody);
    expect(r.status).toBe(200);
    expect(r.text).toContain('"error"');
    expect(ctx.mock.requests).toHaveLength(1);
  });
});
