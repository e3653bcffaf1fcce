import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../src/gateways/schema.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

type Rules = NonNullable<GatewaySettings['rate_limits']>;
async function gateway(id: string, rules: Rules, extra: Partial<GatewaySettings> = {}) {
  await ctx.gw.gatehouse.app.gateways.create('local', id, {
    ...DEFAULT_SETTINGS,
    rate_limits: rules,
    ...extra,
  });
}

async function chat(
  gatewayId: string,
  opts: {
    user?: string;
    token?: string;
    model?: string;
    maxTokens?: number;
    provider?: 'openai' | 'groq';
  } = {},
) {
  const res = await request(`${ctx.gw.gatewayUrl(gatewayId)}/${opts.provider ?? 'openai'}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk',
      ...(opts.user ? { 'cf-aig-metadata': JSON.stringify({ user: opts.user }) } : {}),
      ...(opts.token ? { 'cf-aig-authorization': `Bearer ${opts.token}` } : {}),
    },
    body: JSON.stringify({
      model: opts.model ?? 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
    }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: () => JSON.parse(text) };
}

describe('finer rate limits (rate_limits rules)', () => {
  it('keyed by a metadata value: each user has their own budget; requests without it are not covered', async () => {
    await gateway('per-user', [{ id: 'users', key: 'metadata.user', limit: 2, interval: 60 }]);
    expect((await chat('per-user', { user: 'alice' })).status).toBe(200);
    expect((await chat('per-user', { user: 'alice' })).status).toBe(200);
    const refused = await chat('per-user', { user: 'alice' });
    expect(refused.status).toBe(429);
    expect(refused.json().internalCode).toBe(2003);
    expect(refused.json().message).toMatch(
      /^Rate limited: rule 'users' allows 2 requests per 60 s for each metadata\.user \(metadata\.user: alice\); retry after \d+ s$/,
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await chat('per-user', { user: 'bob' })).status).toBe(200);
    expect((await chat('per-user')).status).toBe(200);
  });

  it('keyed by the gateway token', async () => {
    await gateway('per-token', [{ key: 'token', limit: 1, interval: 60 }], { authentication: true });
    const tokens = ctx.gw.gatehouse.app.tokens;
    const a = (await tokens.create('local', { name: 'a', permissions: ['run'], gateways: null })).value;
    const b = (await tokens.create('local', { name: 'b', permissions: ['run'], gateways: null })).value;
    expect((await chat('per-token', { token: a })).status).toBe(200);
    expect((await chat('per-token', { token: a })).status).toBe(429);
    expect((await chat('per-token', { token: b })).status).toBe(200);
  });

  it('keyed by provider and model', async () => {
    await gateway('per-model', [{ key: 'provider_model', limit: 1, interval: 60 }]);
    expect((await chat('per-model', { model: 'gpt-4o' })).status).toBe(200);
    expect((await chat('per-model', { model: 'gpt-4o' })).status).toBe(429);
    expect((await chat('per-model', { model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await chat('per-model', { model: 'gpt-4o', provider: 'groq' })).status).toBe(200);
  });

  it('a refused request gives back what other rules took', async () => {
    await gateway('layered', [
      { id: 'wide', key: 'gateway', limit: 3, interval: 60 },
      { id: 'narrow', key: 'metadata.user', limit: 1, interval: 60 },
    ]);
    expect((await chat('layered', { user: 'u' })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await chat('layered', { user: 'u' })).status).toBe(429);
    // Only one request ran: the wide rule still has 2 left.
    expect((await chat('layered', { user: 'v' })).status).toBe(200);
    expect((await chat('layered', { user: 'w' })).status).toBe(200);
    expect((await chat('layered', { user: 'x' })).status).toBe(429);
  });

  it('counts tokens from the usage, reserving max_tokens up front', async () => {
    await gateway('tokens', [{ id: 'tpm', key: 'gateway', limit: 1_000_000, interval: 60, unit: 'tokens' }]);
    const first = await chat('tokens');
    const used = first.json().usage.total_tokens as number;
    expect(used).toBeGreaterThan(0);
    // Tighten the budget to just over two requests' usage (the counter keeps what it counted).
    const app = ctx.gw.gatehouse.app;
    const g = app.gateways.get('local', 'tokens')!;
    await app.gateways.update('local', 'tokens', {
      ...g.settings,
      rate_limits: [{ id: 'tpm', key: 'gateway', limit: 2 * used + 5, interval: 60, unit: 'tokens' }],
    });
    expect((await chat('tokens')).status).toBe(200); // no cap: checks the budget is not spent; now 2 × used
    const capped = await chat('tokens', { maxTokens: 10 }); // 10 more would not fit
    expect(capped.status).toBe(429);
    expect(capped.json().message).toMatch(/allows \d+ tokens per 60 s/);
    expect((await chat('tokens', { maxTokens: 5 })).status).toBe(200); // 5 fit; the usage is charged after
    expect((await chat('tokens')).status).toBe(429); // now over: 3 × used
  });

  it('rules are validated with the gateway', async () => {
    const r = await ctx.gw.api('POST', '/gateways', {
      id: 'bad-rules',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
      rate_limits: [{ key: 'user', limit: 1, interval: 60 }],
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.errors)).toMatch(/rate_limits/);
  });
});
