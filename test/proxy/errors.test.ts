import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

let gw: TestGateway;
let mock: MockUpstream;
let closedPort: number;

beforeAll(async () => {
  // A port that refuses connections: bind, note it, close.
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  ({ gw, mock } = await startWithMock({
    GATEHOUSE_UPSTREAM_MISTRAL: `http://127.0.0.1:${closedPort}`,
    GATEHOUSE_MAX_REQUEST_BYTES: '1024',
  }));
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await request(`${gw.url}${path}`, {
    method: (init.method ?? 'POST') as 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body ?? '{"model":"m"}',
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) };
}

function expectAiGatewayError(json: any, status: number, code: number) {
  expect(json).toMatchObject({
    success: false,
    result: [],
    messages: [],
    name: 'AiGatewayError',
    httpCode: status,
    internalCode: code,
  });
  expect(json.error[0].code).toBe(code);
  expect(json.error[0].message).toBe(json.message);
}

describe('gateway-made errors', () => {
  it('unknown gateway: 404 / 2001', async () => {
    const r = await call('/v1/local/nope/openai/chat/completions');
    expect(r.status).toBe(404);
    expectAiGatewayError(r.json, 404, 2001);
    expect(r.json.message).toContain('"nope"');
    expect(r.headers['cf-aig-log-id']).toBeTruthy();
  });

  it('unknown account: 404 / 2013', async () => {
    const r = await call('/v1/someone-else/default/openai/chat/completions');
    expect(r.status).toBe(404);
    expectAiGatewayError(r.json, 404, 2013);
  });

  it('unknown provider: 400 / 2008', async () => {
    const r = await call('/v1/local/default/not-a-provider/chat/completions');
    expect(r.status).toBe(400);
    expectAiGatewayError(r.json, 400, 2008);
    expect(r.json.message).toContain('not-a-provider');
  });

  it('unreachable upstream: 502 / 2005 naming the provider', async () => {
    const r = await call('/v1/local/default/mistral/v1/chat/completions', {
      headers: { authorization: 'Bearer sk-secret-value' },
    });
    expect(r.status).toBe(502);
    expectAiGatewayError(r.json, 502, 2005);
    expect(r.json.message).toContain('mistral');
    expect(JSON.stringify(r.json)).not.toContain('sk-secret-value');
  });

  it('bad cf-aig-* header: 400 / 2011 naming the header and the allowed values', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['cf-aig-cache-ttl', '5', /cf-aig-cache-ttl must be an integer number of seconds from 60 to 2592000/],
      ['cf-aig-skip-cache', 'yes', /cf-aig-skip-cache must be "true" or "false"/],
      ['cf-aig-max-attempts', '9', /cf-aig-max-attempts must be an integer from 1 to 5/],
      [
        'cf-aig-retry-delay',
        '6000',
        /cf-aig-retry-delay must be an integer number of milliseconds from 0 to 5000/,
      ],
      ['cf-aig-backoff', 'random', /one of "constant", "linear", "exponential"/],
      ['cf-aig-metadata', '{"a":{"nested":1}}', /flat JSON object .* \(the value of "a" is object\)/],
      [
        'cf-aig-metadata',
        '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}',
        /at most 5 entries .*\(it has 6 entries\)/,
      ],
      ['cf-aig-metadata', 'not json', /cf-aig-metadata must be a flat JSON object/],
      ['cf-aig-custom-cost', '{"per_token_in":"x"}', /per_token_in/],
      ['cf-aig-otel-trace-id', 'xyz', /32 hexadecimal/],
    ];
    for (const [header, value, message] of cases) {
      const r = await call('/v1/local/default/openai/chat/completions', { headers: { [header]: value } });
      expect(r.status, header).toBe(400);
      expectAiGatewayError(r.json, 400, 2011);
      expect(r.json.message, `${header}: ${value}`).toMatch(message);
    }
  });

  it('body over the limit: 413 / 2012 saying the limit', async () => {
    const r = await call('/v1/local/default/openai/chat/completions', {
      body: JSON.stringify({ x: 'a'.repeat(5000) }),
    });
    expect(r.status).toBe(413);
    expectAiGatewayError(r.json, 413, 2012);
    expect(r.json.message).toContain('1024 bytes');
  });

  it('bad URL segments: 400 / 2014', async () => {
    for (const path of [
      '/v1/local/de%20fault/openai/x',
      '/v1/',
      '/v1/local',
      '/v1/lo..cal/default/openai/x',
    ]) {
      const r = await call(path);
      expect(r.status, path).toBe(400);
      expectAiGatewayError(r.json, 400, 2014);
    }
  });

  it('path traversal out of the provider base is refused', async () => {
    const r = await call('/v1/local/default/openai/..%2f..%2fadmin');
    expect(r.status).toBe(400);
    expectAiGatewayError(r.json, 400, 2014);
  });

  it('unknown routes outside the data plane: 404 AiGatewayError', async () => {
    const res = await request(`${gw.url}/nope`);
    expect(res.statusCode).toBe(404);
    expect(((await res.body.json()) as { name: string }).name).toBe('AiGatewayError');
  });
});

describe('a gateway that cannot start', () => {
  it('refuses a port in use with an error', async () => {
    const first = await startGatehouse();
    const port = new URL(first.url).port;
    await expect(startGatehouse({ GATEHOUSE_PORT: port })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });
});

describe('an upstream that never answers', () => {
  it('504 / 2004 after upstream.headers_timeout_ms from the config file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-timeout-'));
    writeFileSync(
      join(dataDir, 'gatehouse.config.json'),
      JSON.stringify({ upstream: { headers_timeout_ms: 300 } }),
    );
    const slow = await startGatehouse({ GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1` }, { dataDir });
    try {
      const res = await request(`${slow.gatewayUrl()}/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mock-scenario': 'hang' },
        body: '{"model":"m"}',
      });
      expect(res.statusCode).toBe(504);
      const json = (await res.body.json()) as { internalCode: number; message: string };
      expect(json.internalCode).toBe(2004);
      expect(json.message).toContain('openai');
    } finally {
      await slow.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
