import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

let gw: TestGateway;
let mock: MockUpstream;

beforeAll(async () => {
  ({ gw, mock } = await startWithMock());
  for (const id of ['secure', 'other-secure']) {
    await gw.gatehouse.app.gateways.create('local', id, { ...DEFAULT_SETTINGS, authentication: true });
  }
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

async function call(gateway: string, headers: Record<string, string> = {}) {
  const res = await request(`${gw.gatewayUrl(gateway)}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-provider', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as any };
}

describe('authenticated gateways', () => {
  it('401 / 2009 without cf-aig-authorization, with the AiGatewayError body', async () => {
    const r = await call('secure');
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({
      success: false,
      name: 'AiGatewayError',
      internalCode: 2009,
      httpCode: 401,
    });
    expect(r.json.error).toEqual([{ code: 2009, message: 'Unauthorized' }]);
  });

  it('401 with a wrong token or a non-Bearer scheme', async () => {
    expect((await call('secure', { 'cf-aig-authorization': 'Bearer nope' })).status).toBe(401);
    expect((await call('secure', { 'cf-aig-authorization': gw.adminToken })).status).toBe(401);
  });

  it('accepts a token with run permission, and the provider key still goes upstream untouched', async () => {
    const { value } = await gw.gatehouse.app.tokens.create('local', {
      name: 'app',
      permissions: ['run'],
      gateways: null,
    });
    mock.reset();
    const r = await call('secure', { 'cf-aig-authorization': `Bearer ${value}` });
    expect(r.status).toBe(200);
    expect(mock.requests[0]!.headers['authorization']).toBe('Bearer sk-provider');
    expect(mock.requests[0]!.headers['cf-aig-authorization']).toBeUndefined();
  });

  it('refuses a token without run, and a token scoped to another gateway', async () => {
    const reader = await gw.gatehouse.app.tokens.create('local', {
      name: 'ro',
      permissions: ['read'],
      gateways: null,
    });
    expect((await call('secure', { 'cf-aig-authorization': `Bearer ${reader.value}` })).status).toBe(401);
    const scoped = await gw.gatehouse.app.tokens.create('local', {
      name: 'scoped',
      permissions: ['run'],
      gateways: ['other-secure'],
    });
    expect((await call('secure', { 'cf-aig-authorization': `Bearer ${scoped.value}` })).status).toBe(401);
    expect((await call('other-secure', { 'cf-aig-authorization': `Bearer ${scoped.value}` })).status).toBe(
      200,
    );
  });

  it('accepts the admin token', async () => {
    expect((await call('secure', { 'cf-aig-authorization': `Bearer ${gw.adminToken}` })).status).toBe(200);
  });

  it('a revoked token stops working at once', async () => {
    const t = await gw.gatehouse.app.tokens.create('local', {
      name: 'tmp',
      permissions: ['run'],
      gateways: null,
    });
    expect((await call('secure', { 'cf-aig-authorization': `Bearer ${t.value}` })).status).toBe(200);
    await gw.gatehouse.app.tokens.revoke('local', t.token.id);
    expect((await call('secure', { 'cf-aig-authorization': `Bearer ${t.value}` })).status).toBe(401);
  });

  it('an unauthenticated gateway ignores the header', async () => {
    expect((await call('default')).status).toBe(200);
    expect((await call('default', { 'cf-aig-authorization': 'Bearer whatever' })).status).toBe(200);
  });
});
