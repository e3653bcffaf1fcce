import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { CACHE_STORES } from '../helpers/cache-stores.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { startWithMock } from '../helpers/setup.ts';

/** What the response cache holds, on /metrics, for the stores that can tell: memory and SQLite. */
describe('cache gauges on /metrics', () => {
  for (const store of CACHE_STORES) {
    it.skipIf(store.skip)(`${store.name} store`, async () => {
      const { env, teardown } = await store.setup();
      const { gw, mock } = await startWithMock({ ...env, GATEHOUSE_CACHE_MAX_BYTES: '10000000' });
      try {
        const gauge = async (name: string) => {
          const family = (await scrapeMetrics(gw.url, gw.adminToken)).get(name);
          return family && Number(family.metrics[0]!.value);
        };
        const cached = async (content: string) => {
          const res = await request(`${gw.gatewayUrl()}/openai/chat/completions`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer sk',
              'cf-aig-cache-ttl': '600',
            },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
          });
          await res.body.text();
        };
        if (store.name === 'redis') {
          // Shared by every node: no cheap count of its own, so no gauge that would mislead.
          await cached('one');
          expect(await gauge('gatehouse_cache_entries')).toBeUndefined();
          expect(await gauge('gatehouse_cache_bytes')).toBeUndefined();
          return;
        }
        expect(await gauge('gatehouse_cache_entries')).toBe(0);
        expect(await gauge('gatehouse_cache_bytes')).toBe(0);
        expect(await gauge('gatehouse_cache_max_bytes')).toBe(10_000_000);
        await cached('one');
        await cached('two');
        // The store writes after the answer: wait for both entries.
        await expect.poll(() => gauge('gatehouse_cache_entries')).toBe(2);
        const bytes = (await gauge('gatehouse_cache_bytes'))!;
        expect(bytes).toBeGreaterThan(2 * 500);
        await gw.api('DELETE', '/gateways/default/cache');
        expect(await gauge('gatehouse_cache_entries')).toBe(0);
        expect(await gauge('gatehouse_cache_bytes')).toBe(0);
      } finally {
        await gw.close();
        await mock.close();
        await teardown();
      }
    });
  }
});
