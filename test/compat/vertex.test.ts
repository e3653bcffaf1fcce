import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

/**
 * Vertex AI on `/compat`: the OpenAI SDK's apiKey is the service-account key JSON; the gateway
 * exchanges it for an access token (at the key's `token_uri`, here a local server), places the
 * request in the key's project and region, and speaks Gemini to it.
 */

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let gw: TestGateway;
let mock: MockUpstream;
let tokenServer: Server;
let exchanges = 0;
let tokenStatus = 200;

function serviceAccount(extra: Record<string, unknown> = {}): string {
  const port = (tokenServer.address() as AddressInfo).port;
  return JSON.stringify({
    type: 'service_account',
    project_id: 'acme-prod',
    private_key_id: 'k1',
    private_key: privateKey,
    client_email: 'gatehouse@acme-prod.iam.gserviceaccount.com',
    token_uri: `http://127.0.0.1:${port}/token`,
    ...extra,
  });
}

beforeAll(async () => {
  tokenServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exchanges++;
      if (tokenStatus !== 200) {
        res.writeHead(tokenStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'ya29.vertex-token', expires_in: 3599, token_type: 'Bearer' }));
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  // The test's token server is local: the operator allows its host, as for a private token server.
  ({ gw, mock } = await startWithMock({ GATEHOUSE_ALLOW_HTTP_HOSTS: '127.0.0.1' }));
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await mock?.close();
  await new Promise((resolve) => tokenServer.close(resolve));
});
beforeEach(() => {
  mock.reset();
  tokenStatus = 200;
});

const client = (apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${gw.gatewayUrl()}/compat`, maxRetries: 0 });

describe('openai SDK → /compat → google-vertex-ai', () => {
  it('exchanges the key for a token once, and calls Gemini in the key’s project and region', async () => {
    const before = exchanges;
    const sdk = client(serviceAccount({ region: 'europe-west4' }));
    const r = await sdk.chat.completions.create({
      model: 'google-vertex-ai/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(r.model).toBe('google-vertex-ai/gemini-2.5-flash');
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const sent = mock.requests[0]!;
    expect(sent.url).toBe(
      '/v1/projects/acme-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent',
    );
    expect(sent.headers['authorization']).toBe('Bearer ya29.vertex-token');
    expect(sent.headers['authorization']).not.toContain('PRIVATE KEY');
    // A second request reuses the cached token.
    const stream = await sdk.chat.completions.create({
      model: 'google-vertex-ai/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(mock.requests[1]!.url).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect(exchanges - before).toBe(1);
  });

  it('cache entries follow the key, not the access token it was exchanged for', async () => {
    const sdk = client(serviceAccount({ client_email: 'cache@acme-prod.iam.gserviceaccount.com' }));
    const ask = () =>
      sdk.chat.completions
        .create(
          { model: 'google-vertex-ai/gemini-2.5-flash', messages: [{ role: 'user', content: 'cache me' }] },
          { headers: { 'cf-aig-cache-ttl': '300' } },
        )
        .withResponse();
    expect((await ask()).response.headers.get('cf-aig-cache-status')).toBe('MISS');
    expect((await ask()).response.headers.get('cf-aig-cache-status')).toBe('HIT');
    const other = await client(
      serviceAccount({ client_email: 'other-cache@acme-prod.iam.gserviceaccount.com' }),
    )
      .chat.completions.create(
        { model: 'google-vertex-ai/gemini-2.5-flash', messages: [{ role: 'user', content: 'cache me' }] },
        { headers: { 'cf-aig-cache-ttl': '300' } },
      )
      .withResponse();
    expect(other.response.headers.get('cf-aig-cache-status')).toBe('MISS');
  });

  it('without a region in the key, the default region', async () => {
    await client(serviceAccount()).chat.completions.create({
      model: 'google-vertex-ai/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(mock.requests[0]!.url).toContain('/locations/us-central1/');
  });

  it('a raw token or a broken key is a 400 that says what is accepted, and never echoes the key', async () => {
    const raw = await client('ya29.raw-token')
      .chat.completions.create({
        model: 'google-vertex-ai/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(OpenAI.BadRequestError);
    expect((raw as Error).message).toContain('service-account key JSON');
    const broken = await client(JSON.stringify({ type: 'service_account', private_key: 'secret-material' }))
      .chat.completions.create({
        model: 'google-vertex-ai/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(OpenAI.BadRequestError);
    expect((broken as Error).message).toContain('project_id');
    expect((broken as Error).message).not.toContain('secret-material');
    expect(mock.requests).toHaveLength(0);
  });

  it('a token_uri that is not Google’s (nor an allowed host) is refused before any call: no SSRF', async () => {
    const before = exchanges;
    const err = await client(serviceAccount({ token_uri: 'https://metadata.internal.example/token' }))
      .chat.completions.create({
        model: 'google-vertex-ai/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("token_uri: must be Google's token endpoint");
    expect(exchanges).toBe(before);
    expect(mock.requests).toHaveLength(0);
  });

  it('a refused token exchange is a 400 naming Google’s reason', async () => {
    tokenStatus = 400;
    const err = await client(serviceAccount({ client_email: 'other@acme-prod.iam.gserviceaccount.com' }))
      .chat.completions.create({
        model: 'google-vertex-ai/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('invalid_grant');
    expect((err as Error).message).not.toContain('PRIVATE KEY');
    expect(mock.requests).toHaveLength(0);
  });
});
