import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

// A Redis that is stopped (or behind a partition that drops packets) keeps its connections open and
// answers nothing: unlike a Redis that is down, no error ever arrives by itself.
describe.skipIf(!REDIS_AVAILABLE && !process.env['CI'])('a Redis that stops answering', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  let mock: MockUpstream;

  beforeAll(async () => {
    redis = (await startRedis()) as RedisServer;
    ({ gw, mock } = await startWithMock({ GATEHOUSE_CACHE_STORE: 'redis', GATEHOUSE_REDIS_URL: redis.url }));
    await gw.gatehouse.app.gateways.create('local', 'shared', {
      ...DEFAULT_SETTINGS,
      cache_ttl: 300,
      rate_limiting_limit: 50,
      rate_limiting_interval: 60,
      rate_limiting_technique: 'sliding',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    await redis?.stop();
  });

  async function chat(content: string) {
    const res = await request(`${gw.gatewayUrl('shared')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
      // Far above the gateway's bound on a Redis reply: this only turns a hang into a failure.
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const text = await res.body.text();
    const remaining = Number(res.headers['ratelimit-remaining']);
    return { status: res.statusCode, cache: res.headers['cf-aig-cache-status'], remaining, text };
  }

  async function untilHit(content: string) {
    for (let i = 0; i < 100; i++) {
      const r = await chat(content);
      if (r.cache === 'HIT') return r;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`"${content}" never became a cache HIT`);
  }

  it('serves from the provider while Redis hangs, and uses the cache and limits again once it is back', async () => {
    expect((await chat('hello')).cache).toBe('MISS');
    const hit = await untilHit('hello');
    const upstreamBefore = mock.requests.length;

    redis.pause();
    try {
      // Concurrent requests, each waiting on the cache lookup and the rate-limit counter. They differ,
      // so none waits on another's upstream call (that would answer it as a HIT).
      const during = await Promise.all([chat('hello'), chat('other'), chat('third')]);
      for (const r of during) {
        expect(r.status).toBe(200);
        expect(r.cache).toBe('MISS');
      }
      expect(during[0]!.text).toBe(hit.text);
      // The limit lets them through unchecked, as when Redis is down.
      for (const r of during) expect(r.remaining).toBe(50);
      expect(mock.requests.length).toBe(upstreamBefore + 3);
      // The reconnecting client fails the next command at once rather than each waiting out the bound.
      expect(await chat('hello')).toMatchObject({ status: 200, cache: 'MISS' });
    } finally {
      redis.resume();
    }

    expect((await untilHit('hello')).text).toBe(hit.text);
    // The counter is in Redis again (its client reconnects on its own schedule): misses count.
    let a = await chat('after-0');
    for (let i = 1; a.remaining === 50 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      a = await chat(`after-${i}`);
    }
    const b = await chat('after-last');
    expect(a.remaining).toBeLessThan(50);
    expect(b.remaining).toBe(a.remaining - 1);
  });

  it('a purge larger than one batch deletes every entry, and counts them', async () => {
    await gw.gatehouse.app.gateways.create('local', 'bulk', DEFAULT_SETTINGS);
    const store = gw.gatehouse.app.cache;
    const n = 1_234;
    const scope = { accountId: 'local', gatewayId: 'bulk', provider: 'openai', model: 'gpt-4o-mini' };
    const entry = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}'),
      frames: null,
      provider: 'openai',
      model: 'gpt-4o-mini',
      tokensIn: 1,
      tokensOut: 1,
      storedAt: Date.now(),
    };
    for (let i = 0; i < n; i += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, n - i) }, (_, j) => store.set(scope, `k${i + j}`, entry, 60)),
      );
    const purged = await gw.api('DELETE', '/gateways/bulk/cache');
    expect(purged).toMatchObject({ status: 200, json: { result: { purged: n } } });
    for (const k of ['k0', 'k617', `k${n - 1}`]) expect(await store.get(scope, k)).toBeUndefined();
  });
});
