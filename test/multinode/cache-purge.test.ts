import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { cutListeningConnections, POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

const SETTINGS = {
  cache_ttl: 300,
  cache_invalidate_on_update: false,
  collect_logs: true,
  rate_limiting_interval: 0,
  rate_limiting_limit: 0,
  rate_limiting_technique: 'fixed',
};

// Each node keeps its own entries here (the memory store); a purge must still reach both.
describe.skipIf(POSTGRES.skip)('cache purges across two nodes with their own stores', () => {
  const nodes = useTwoNodes();
  beforeAll(async () => {
    const created = await nodes.a.api('POST', '/gateways', { id: 'cached', ...SETTINGS });
    expect(created.status).toBe(200);
    const deadline = Date.now() + 3000;
    while (!nodes.b.gatehouse.app.gateways.get('local', 'cached') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
  });

  async function ask(node: TestGateway, content = 'same question') {
    const res = await request(`${node.gatewayUrl('cached')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
    });
    await res.body.text();
    return res.headers['cf-aig-cache-status'];
  }

  /** Both nodes hold the entry: each answered it once and now answers it as a HIT. */
  async function cachedOnBoth() {
    for (const node of [nodes.a, nodes.b]) {
      await ask(node);
      for (let i = 0; i < 50 && (await ask(node)) !== 'HIT'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await ask(node)).toBe('HIT');
    }
  }

  /** B's entry is gone: it answers a MISS (its TTL is 300 s, so only a purge explains one). */
  async function purgedOnB() {
    for (let i = 0; i < 100; i++) {
      if ((await ask(nodes.b)) === 'MISS') return true;
      await new Promise((r) => setTimeout(r, 30));
    }
    return false;
  }

  it('a purge through one node’s API purges the other node too; a filter that does not match leaves it', async () => {
    await cachedOnBoth();
    // Each node's own store shows on its /metrics (through the purge-passing wrapper).
    for (const node of [nodes.a, nodes.b]) {
      const held = (await scrapeMetrics(node.url, node.adminToken)).get('gatehouse_cache_entries');
      expect(Number(held!.metrics[0]!.value)).toBe(1);
    }
    const other = await nodes.a.api('DELETE', '/gateways/cached/cache?model=some-other-model');
    expect(other.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await ask(nodes.b)).toBe('HIT');

    expect((await nodes.a.api('DELETE', '/gateways/cached/cache?model=gpt-4o-mini')).status).toBe(200);
    expect(await purgedOnB()).toBe(true);
  });

  it('a purge of one entry by its key reaches the other node too', async () => {
    await cachedOnBoth();
    // The same request has the same key on both nodes; a different key leaves B's entry.
    const other = await nodes.a.api('DELETE', `/gateways/cached/cache?key=${'0'.repeat(64)}`);
    expect(other.json.result.purged).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(await ask(nodes.b)).toBe('HIT');
    await nodes.a.flushLogs();
    const logs = await nodes.a.api('GET', '/gateways/cached/logs?per_page=1');
    const key = logs.json.result[0].cache_key as string;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await nodes.a.api('DELETE', `/gateways/cached/cache?key=${key}`)).json.result.purged).toBe(1);
    expect(await purgedOnB()).toBe(true);
  });

  it('updating the gateway with cache_invalidate_on_update on one node purges the other', async () => {
    await cachedOnBoth();
    const updated = await nodes.a.api('PUT', '/gateways/cached', {
      ...SETTINGS,
      cache_invalidate_on_update: true,
    });
    expect(updated.status).toBe(200);
    expect(await purgedOnB()).toBe(true);
  });

  it('a node that was not listening when a purge was sent purges everything once it listens again', async () => {
    await cachedOnBoth();
    // Both nodes lose their listening connection, as in a Postgres failover.
    expect(await cutListeningConnections(nodes.databaseUrl)).toBe(2);
    // Sent at once, while the other node waits to reconnect: that node never gets it.
    expect((await nodes.a.api('DELETE', '/gateways/cached/cache')).status).toBe(200);
    expect(await purgedOnB()).toBe(true);
    // Each node made one new listening connection, not one per error the loss raised.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await cutListeningConnections(nodes.databaseUrl)).toBe(2);
  });
});
