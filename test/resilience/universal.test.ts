import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const openaiStep = (headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  provider: 'openai',
  endpoint: 'chat/completions',
  headers: { authorization: 'Bearer sk-openai-secret', ...headers },
  query: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] },
  ...extra,
});
const anthropicStep = (headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  provider: 'anthropic',
  endpoint: 'v1/messages',
  headers: { 'x-api-key': 'sk-ant-secret', 'anthropic-version': '2023-06-01', ...headers },
  query: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] },
  ...extra,
});

async function universal(body: unknown, headers: Record<string, string> = {}) {
  const res = await request(ctx.gw.gatewayUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}

async function rowsOf(requestId: string) {
  await ctx.gw.flushLogs();
  const r = await ctx.gw.api('GET', '/gateways/default/logs?per_page=1000');
  return (r.json.result as Array<Record<string, any>>)
    .filter((l) => l['request_id'] === requestId)
    .sort((a, b) => a['step'] - b['step'] || a['attempt'] - b['attempt']);
}

describe('universal endpoint POST /v1/{account}/{gateway}', () => {
  it('answers with the first step when it succeeds, with cf-aig-step: 0', async () => {
    const r = await universal([openaiStep(), anthropicStep()]);
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('0');
    expect(r.json().object).toBe('chat.completion');
    expect(ctx.mock.requests).toHaveLength(1);
    expect(ctx.mock.requests[0]!.url).toBe('/v1/chat/completions');
  });

  it('accepts one step object instead of an array', async () => {
    const r = await universal(anthropicStep());
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('0');
    expect(r.json().type).toBe('message');
  });

  it('falls back to the next step when one fails, and logs each attempt with its step', async () => {
    const r = await universal([openaiStep({ 'x-mock-scenario': 'status=500' }), anthropicStep()], {
      'cf-aig-event-id': 'evt-fallback-1',
    });
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(r.headers['cf-aig-event-id']).toBe('evt-fallback-1');
    expect(r.json().type).toBe('message');
    expect(ctx.mock.requests.map((q) => q.url)).toEqual(['/v1/chat/completions', '/v1/messages']);
    const rows = await rowsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows.map((l) => [l['step'], l['attempt'], l['provider'], l['status_code'], l['success']])).toEqual(
      [
        [0, 1, 'openai', 500, false],
        [1, 1, 'anthropic', 200, true],
      ],
    );
    expect(rows.every((l) => l['event_id'] === 'evt-fallback-1')).toBe(true);
    expect(rows[1]!['id']).toBe(r.headers['cf-aig-log-id']);
  });

  it('retries within a step before moving to the next one', async () => {
    const r = await universal([
      openaiStep({ 'x-mock-scenario': 'status=503' }, { config: { maxAttempts: 3, retryDelay: 0 } }),
      anthropicStep(),
    ]);
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(ctx.mock.requests.map((q) => q.url)).toEqual([
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/messages',
    ]);
  });

  it('falls back on a 4xx without retrying it', async () => {
    const r = await universal([
      openaiStep({ 'x-mock-scenario': 'status=401' }, { config: { maxAttempts: 3, retryDelay: 0 } }),
      anthropicStep(),
    ]);
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('falls back when a step times out before its first byte', async () => {
    const r = await universal([
      openaiStep({ 'x-mock-scenario': 'hang' }, { config: { requestTimeout: 200 } }),
      anthropicStep(),
    ]);
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(ctx.mock.requests[0]!.aborted).toBe(true);
  });

  it('falls back when a stream starts with an error event', async () => {
    const stream = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hi' }] };
    const r = await universal([
      { ...openaiStep({ 'x-mock-scenario': 'stream-error=0' }), query: stream },
      { ...anthropicStep(), query: { ...anthropicStep().query, stream: true } },
    ]);
    expect(r.status).toBe(200);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(r.text).toContain('event: message_start');
    expect(r.text).not.toContain('"error"');
  });

  it('passes the last step’s own error response through when every step fails with a status', async () => {
    const r = await universal([
      openaiStep({ 'x-mock-scenario': 'status=500' }),
      anthropicStep({ 'x-mock-scenario': 'status=529' }),
    ]);
    expect(r.status).toBe(529);
    expect(r.headers['cf-aig-step']).toBe('1');
    expect(r.json().type).toBe('error'); // Anthropic's error shape, unchanged
  });

  it('when no step answers at all, the gateway error names every step and what it got, without secrets', async () => {
    const r = await universal([
      openaiStep({ 'x-mock-scenario': 'reset' }, { config: { maxAttempts: 2, retryDelay: 0 } }),
      anthropicStep({ 'x-mock-scenario': 'hang' }, { config: { requestTimeout: 150 } }),
    ]);
    expect(r.status).toBe(504);
    const body = r.json();
    expect(body.name).toBe('AiGatewayError');
    expect(body.internalCode).toBe(2004);
    expect(body.message).toMatch(/all 2 steps failed/);
    expect(body.message).toMatch(/step 0 \(openai\): connection reset; connection reset/);
    expect(body.message).toMatch(/step 1 \(anthropic\): no response byte within 150 ms/);
    expect(r.text).not.toMatch(/sk-openai-secret|sk-ant-secret/);
    expect(r.headers['cf-aig-step']).toBeUndefined();
    const rows = await rowsOf(r.headers['cf-aig-request-id'] as string);
    expect(rows.map((l) => [l['step'], l['attempt']])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
    ]);
    for (const row of rows) expect(JSON.stringify(row)).not.toMatch(/sk-openai-secret|sk-ant-secret/);
  });

  it('sends each step its own headers and body; the request’s provider headers stay out of steps', async () => {
    const r = await universal(
      [
        {
          provider: 'openai',
          endpoint: '/chat/completions?api-version=1',
          headers: { authorization: 'Bearer step-key', 'x-mock-scenario': 'echo', 'x-custom': '1' },
          query: { model: 'gpt-4o-mini', messages: [] },
        },
      ],
      { authorization: 'Bearer request-level-key' },
    );
    expect(r.status).toBe(200);
    const echo = r.json();
    expect(echo.url).toBe('/v1/chat/completions?api-version=1');
    expect(echo.headers.authorization).toBe('Bearer step-key');
    expect(echo.headers['x-custom']).toBe('1');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(JSON.parse(Buffer.from(echo.body_base64, 'base64').toString())).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
    });
  });

  describe('header precedence: step headers, then request headers, then gateway settings', () => {
    it('a step header beats the request header', async () => {
      const r = await universal(
        [
          openaiStep({ 'x-mock-scenario': 'status=500', 'cf-aig-max-attempts': '1' }),
          anthropicStep({ 'x-mock-scenario': 'status=500' }),
        ],
        { 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' },
      );
      // step 0: its own header (1 attempt); step 1: the request's (2 attempts).
      expect(r.status).toBe(500);
      expect(ctx.mock.requests.map((q) => q.url)).toEqual([
        '/v1/chat/completions',
        '/v1/messages',
        '/v1/messages',
      ]);
    });

    it('step config beats a step header', async () => {
      const r = await universal([
        openaiStep(
          { 'x-mock-scenario': 'status=500', 'cf-aig-max-attempts': '1', 'cf-aig-retry-delay': '0' },
          { config: { maxAttempts: 3 } },
        ),
      ]);
      expect(r.status).toBe(500);
      expect(ctx.mock.requests).toHaveLength(3);
    });

    it('a step header overrides the request’s cf-aig-cache-ttl', async () => {
      const step = openaiStep({ 'cf-aig-cache-ttl': '600' });
      const first = await universal([step], { 'cf-aig-skip-cache': 'false' });
      const second = await universal([step]);
      expect(first.headers['cf-aig-cache-status']).toBe('MISS');
      expect(second.headers['cf-aig-cache-status']).toBe('HIT');
      expect(second.headers['cf-aig-step']).toBe('0');
      expect(ctx.mock.requests).toHaveLength(1);
    });
  });

  describe('bad requests are 400s that say what is wrong', () => {
    it.each([
      ['not JSON', 'nope', /JSON array of steps/, 2015],
      ['an empty array', [], /at least one step/, 2015],
      ['too many steps', Array.from({ length: 11 }, () => openaiStep()), /at most 10 steps; got 11/, 2015],
      ['a missing provider', [{ endpoint: 'x', query: {} }], /step 0: provider/, 2015],
      [
        'an out-of-range config',
        [openaiStep(), openaiStep({}, { config: { maxAttempts: 9 } })],
        /step 1: config\.maxAttempts/,
        2015,
      ],
      ['an unknown field', [openaiStep({}, { retries: 3 })], /step 0: .*retries/, 2015],
      [
        'an unknown provider',
        [openaiStep(), { ...openaiStep(), provider: 'nope' }],
        /step 1: "nope" is not a provider/,
        2008,
      ],
      [
        'a bad step header',
        [openaiStep({ 'cf-aig-backoff': 'fast' })],
        /step 0: cf-aig-backoff must be one of/,
        2011,
      ],
      ['a path escaping the provider', [{ ...openaiStep(), endpoint: '../admin' }], /step 0: /, 2014],
    ])('%s', async (_name, body, message, code) => {
      const r = await universal(body);
      expect(r.status).toBe(400);
      expect(r.json().internalCode).toBe(code);
      expect(r.json().message).toMatch(message);
      expect(ctx.mock.requests).toHaveLength(0);
    });

    it('GET is not the universal endpoint', async () => {
      const res = await request(ctx.gw.gatewayUrl(), { method: 'GET' });
      expect(res.statusCode).toBe(404);
      expect(((await res.body.json()) as { message: string }).message).toMatch(/takes POST/);
    });
  });
});
