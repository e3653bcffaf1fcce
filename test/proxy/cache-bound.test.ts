import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const BOUND = 20_000;

describe('the sqlite cache store keeps to cache.max_bytes', () => {
  const ctx = useGatewayWithMock({
    GATEHOUSE_CACHE_STORE: 'sqlite',
    GATEHOUSE_CACHE_MAX_BYTES: String(BOUND),
  });

  const ask = async (content: string) => {
    const res = await request(`${ctx.gw.gatewayUrl('bounded')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    return res.headers['cf-aig-cache-status'];
  };

  it('many distinct requests: the table never holds more than the bound, and the latest answers are hits', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'bounded', { ...DEFAULT_SETTINGS, cache_ttl: 3600 });
    // Read beside the running gateway, as an operator would (WAL lets a reader in).
    const db = new DatabaseSync(join(ctx.gw.dataDir, 'gatehouse.db'), { readOnly: true });
    const held = () =>
      Number(db.prepare('SELECT coalesce(sum(size), 0) AS n FROM cache_entries').get()?.['n'] ?? 0);
    try {
      for (let i = 0; i < 60; i++) {
        expect(await ask(`question ${i}`)).toBe('MISS');
        expect(held()).toBeLessThanOrEqual(BOUND);
      }
      expect(held()).toBeGreaterThan(BOUND / 2);
      expect(await ask('question 59')).toBe('HIT');
      expect(await ask('question 0')).toBe('MISS');
    } finally {
      db.close();
    }
  });
});
