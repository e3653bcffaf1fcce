import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

const skip = POSTGRES.skip || (!REDIS_AVAILABLE && !process.env['CI']);

describe.skipIf(skip)('two nodes sharing one Redis and one Postgres', () => {
  let redis: RedisServer | undefined;
  const nodes = useTwoNodes({
    env: async () => {
      redis = (await startRedis())!;
      return { GATEHOUSE_REDIS_URL: redis.url };
    },
    teardown: async () => redis?.stop(),
  });

  it('a limit of 10 requests per minute admits exactly 10 across both under concurrent load', async () => {
    const created = await nodes.a.api('POST', '/gateways', {
      id: 'limited',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 60,
      rate_limiting_limit: 10,
      rate_limiting_technique: 'sliding',
    });
    expect(created.status).toBe(200);
    // B learns of the new gateway through the change feed.
    const deadline = Date.now() + 3000;
    while ((await nodes.b.api('GET', '/gateways/limited')).status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    while (!nodes.b.gatehouse.app.gateways.get('local', 'limited') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(`${(i % 2 ? nodes.a : nodes.b).gatewayUrl('limited')}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] }),
        }).then(async (r) => {
          await r.body.text();
          return r.statusCode;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    expect(nodes.mock.requests).toHaveLength(10);
  });

  it('a spend limit holds across both nodes', async () => {
    const created = await nodes.b.api('POST', '/gateways', {
      id: 'budgeted',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
      spend_limits: { rules: [{ id: 'team', limit: 1, limitType: 'cost', window: 3600 }] },
    });
    expect(created.status).toBe(200);
    const deadline = Date.now() + 3000;
    while (!nodes.a.gatehouse.app.gateways.get('local', 'budgeted') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const send = (node: TestGateway) =>
      request(`${node.gatewayUrl('budgeted')}/openai/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk',
          'cf-aig-custom-cost': '{"total_cost":0.6}',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      }).then(async (r) => {
        await r.body.text();
        return r.statusCode;
      });
    expect(await send(nodes.a)).toBe(200);
    expect(await send(nodes.b)).toBe(200);
    // Both costs are charged in Redis; the next request on either node finds the budget spent.
    expect(await send(nodes.a)).toBe(429);
    expect(await send(nodes.b)).toBe(429);
  });
});
