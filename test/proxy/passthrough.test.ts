import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body_base64: string;
}

describe('provider-native passthrough', () => {
  it('forwards method, path, query and body bytes unchanged, and strips hop-by-hop and cf-aig-* headers', async () => {
    const body = Buffer.from('{"model":"gpt-4o-mini",  "messages":[{"role":"user","content":"héllo"}]}\n');
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions?foo=bar&x=%2F1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-test-123',
        'x-mock-scenario': 'echo',
        'x-custom-header': 'kept',
        'cf-aig-metadata': '{"user":"u1"}',
        'cf-aig-event-id': 'evt-1',
        'cf-aig-cache-ttl': '120',
        'cf-skip-cache': 'true',
        'proxy-authorization': 'Basic secret',
      },
      body,
    });
    expect(res.statusCode).toBe(200);
    const echo = (await res.body.json()) as Echo;
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/v1/chat/completions?foo=bar&x=%2F1');
    expect(Buffer.from(echo.body_base64, 'base64').equals(body)).toBe(true);
    expect(echo.headers['authorization']).toBe('Bearer sk-test-123');
    expect(echo.headers['x-custom-header']).toBe('kept');
    expect(echo.headers['content-type']).toBe('application/json');
    for (const gone of [
      'cf-aig-metadata',
      'cf-aig-event-id',
      'cf-aig-cache-ttl',
      'cf-skip-cache',
      'proxy-authorization',
    ]) {
      expect(echo.headers[gone], gone).toBeUndefined();
    }
    expect(res.headers['cf-aig-event-id']).toBe('evt-1');
  });

  it('drops headers named in Connection (node:http keeps the client from rewriting it)', async () => {
    const { port } = new URL(ctx.gw.url);
    const echo = await new Promise<Echo>((resolve, reject) => {
      const r = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/local/default/openai/chat/completions',
          headers: {
            'content-type': 'application/json',
            'x-mock-scenario': 'echo',
            connection: 'keep-alive, x-drop-me',
            'x-drop-me': 'listed in Connection, so hop-by-hop',
            te: 'trailers',
            'keep-alive': 'timeout=5',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Echo));
        },
      );
      r.on('error', reject);
      r.end('{}');
    });
    expect(echo.headers['x-drop-me']).toBeUndefined();
    expect(echo.headers['te']).toBeUndefined();
    expect(echo.headers['keep-alive']).toBeUndefined();
    expect(echo.headers['x-mock-scenario']).toBe('echo');
  });

  it('returns the upstream response byte for byte, minus hop-by-hop headers, plus the cf-aig ids', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/files/abc/content`, {
      method: 'GET',
      headers: {
        authorization: 'Bearer sk-test',
        'x-mock-scenario': 'bytes=100000;header:x-upstream=yes;header:keep-alive=timeout=5',
      },
    });
    expect(res.statusCode).toBe(200);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(bytes.length).toBe(100_000);
    const direct = await request(`${ctx.mock.url}/v1/files/abc/content`, {
      headers: { 'x-mock-scenario': 'bytes=100000' },
    });
    expect(Buffer.from(await direct.body.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    expect(res.headers['cf-aig-log-id']).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.headers['cf-aig-request-id']).toBe(res.headers['cf-aig-log-id']);
    expect(res.headers['cf-aig-event-id']).toBe(res.headers['cf-aig-log-id']);
  });

  it('passes upstream errors through unchanged, status and body', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-scenario': 'status=404' },
      body: '{"model":"nope","messages":[]}',
    });
    expect(res.statusCode).toBe(404);
    const json = (await res.body.json()) as { error: { message: string }; name?: string };
    expect(json.name).toBeUndefined();
    expect(json.error.message).toBeTypeOf('string');
    expect(res.headers['cf-aig-log-id']).toBeTruthy();
  });

  it('keeps the connection usable across requests (keep-alive)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `n${i}` }] }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.json();
    }
  });

  it("routes custom-{slug} to the custom provider's base URL", async () => {
    // Created through the registry: the API only accepts https base URLs, and the mock is plain http.
    await ctx.gw.gatehouse.app.customProviders.create('local', {
      slug: 'acme',
      name: 'Acme',
      baseUrl: `${ctx.mock.url}/v1`,
      description: null,
      link: null,
      enable: true,
      beta: false,
      curl_example: null,
      js_example: null,
    });
    const res = await request(`${ctx.gw.gatewayUrl()}/custom-acme/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-acme' },
      body: JSON.stringify({ model: 'acme-large', messages: [] }),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { model: string }).model).toBe('acme-large');
    expect(ctx.mock.requests.at(-1)!.url).toBe('/v1/chat/completions');
    await ctx.gw.flushLogs();
    const log = await ctx.gw.api('GET', `/gateways/default/logs/${res.headers['cf-aig-log-id']}`);
    expect(log.json.result).toMatchObject({ provider: 'custom-acme', model: 'acme-large', tokens_in: 19 });
  });
});
