import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../src/gateways/schema.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

async function gateway(id: string, settings: Partial<GatewaySettings>) {
  await ctx.gw.gatehouse.app.gateways.create('local', id, { ...DEFAULT_SETTINGS, ...settings });
}

async function chat(gatewayId: string, content = 'hi') {
  const res = await request(`${ctx.gw.gatewayUrl(gatewayId)}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: () => JSON.parse(text) };
}

describe('gateway rate limit (rate_limiting_*)', () => {
  it('admits the limit, then answers 429 / 2003 with retry-after; RateLimit headers on every response', async () => {
    await gateway('fixed3', {
      rate_limiting_limit: 3,
      rate_limiting_interval: 60,
      rate_limiting_technique: 'fixed',
    });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await chat('fixed3', `q${i}`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers['ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    for (const a of answers) expect(a.headers['ratelimit-limit']).toBe('3');
    const limited = answers[3]!;
    expect(limited.json()).toMatchObject({
      success: false,
      name: 'AiGatewayError',
      httpCode: 429,
      internalCode: 2003,
      error: [{ code: 2003 }],
    });
    expect(limited.json().message).toMatch(
      /^Rate limited: gateway "fixed3" allows 3 requests per 60 s \(fixed window\)/,
    );
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(limited.headers['ratelimit-reset'])).toBe(retryAfter);
    expect(ctx.mock.requests).toHaveLength(3);
  });

  it('does not count cache hits', async () => {
    await gateway('cached2', { rate_limiting_limit: 2, rate_limiting_interval: 60, cache_ttl: 300 });
    expect((await chat('cached2', 'same')).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const hit = await chat('cached2', 'same');
      expect(hit.status).toBe(200);
      expect(hit.headers['cf-aig-cache-status']).toBe('HIT');
      expect(hit.headers['ratelimit-remaining']).toBe('1');
    }
    expect((await chat('cached2', 'other')).status).toBe(200);
    expect((await chat('cached2', 'third')).status).toBe(429);
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('counts a retried request once', async () => {
    await gateway('retry2', {
      rate_limiting_limit: 2,
      rate_limiting_interval: 60,
      retry_max_attempts: 3,
      retry_delay: 0,
    });
    ctx.mock.enqueue('status=500');
    ctx.mock.enqueue('status=500');
    const r = await chat('retry2');
    expect(r.status).toBe(200);
    expect(r.headers['ratelimit-remaining']).toBe('1');
  });

  it('sliding: no more than N in the last interval', async () => {
    await gateway('sliding2', {
      rate_limiting_limit: 2,
      rate_limiting_interval: 1,
      rate_limiting_technique: 'sliding',
    });
    expect((await chat('sliding2')).status).toBe(200);
    expect((await chat('sliding2')).status).toBe(200);
    const denied = await chat('sliding2');
    expect(denied.status).toBe(429);
    await new Promise((r) => setTimeout(r, Number(denied.headers['retry-after']) * 1000 + 50));
    expect((await chat('sliding2')).status).toBe(200);
  });

  it('an unlimited gateway sends no RateLimit headers', async () => {
    const r = await chat('default');
    expect(r.headers['ratelimit-limit']).toBeUndefined();
  });
});
