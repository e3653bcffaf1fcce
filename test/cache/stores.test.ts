import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/cache/memory-store.ts';
import { redisStore } from '../../src/cache/redis-store.ts';
import { sqliteStore } from '../../src/cache/sqlite-store.ts';
import type { CachedResponse, CacheStore, EntryScope } from '../../src/cache/types.ts';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';

const scope = (gatewayId = 'g1', provider = 'openai', model: string | null = 'gpt-4o'): EntryScope => ({
  accountId: 'local',
  gatewayId,
  provider,
  model,
});

function entry(body: Buffer | string = 'hello', frames: number[] | null = null): CachedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'] },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    frames,
    provider: 'openai',
    model: 'gpt-4o',
    tokensIn: 3,
    tokensOut: 4,
    storedAt: 1_700_000_000_000,
  };
}

/** The same contract for every store. */
function describeStore(
  name: string,
  make: () => Promise<{ store: CacheStore; reopen?: () => Promise<CacheStore> }>,
  opts: { persistent: boolean; skip?: boolean },
) {
  describe.skipIf(opts.skip ?? false)(`${name} cache store`, () => {
    let store: CacheStore;
    let reopen: (() => Promise<CacheStore>) | undefined;
    beforeAll(async () => {
      ({ store, reopen } = await make());
    });
    afterAll(() => store?.close());

    it('round-trips an entry exactly, binary body and frames included', async () => {
      const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
      await store.set(scope(), 'k-bin', entry(bytes, [10, 2000, 3000]), 60);
      const got = await store.get(scope(), 'k-bin');
      expect(got?.body.equals(bytes)).toBe(true);
      expect(got).toMatchObject({
        status: 200,
        frames: [10, 2000, 3000],
        headers: { 'x-multi': ['a', 'b'] },
        tokensOut: 4,
      });
      await store.set(scope('g1', 'openai', null), 'k-null', { ...entry(), model: null }, 60);
      expect((await store.get(scope(), 'k-null'))?.model).toBeNull();
    });

    it('misses unknown keys and keeps gateways apart', async () => {
      expect(await store.get(scope(), 'nope')).toBeUndefined();
      await store.set(scope('g1'), 'same', entry('one'), 60);
      await store.set(scope('g2'), 'same', entry('two'), 60);
      expect((await store.get(scope('g1'), 'same'))?.body.toString()).toBe('one');
      expect((await store.get(scope('g2'), 'same'))?.body.toString()).toBe('two');
      await store.set(scope('g1'), 'same', entry('three'), 60);
      expect((await store.get(scope('g1'), 'same'))?.body.toString()).toBe('three');
    });

    it('expires entries after their TTL', async () => {
      await store.set(scope('ttl'), 'short', entry(), 1);
      expect(await store.get(scope('ttl'), 'short')).toBeDefined();
      await new Promise((r) => setTimeout(r, 1200));
      expect(await store.get(scope('ttl'), 'short')).toBeUndefined();
    });

    it('purges a gateway, a provider, a model, or a provider and model, and counts what it removed', async () => {
      const gw = 'purge';
      await store.set(scope(gw, 'openai', 'a'), 'k1', entry(), 60);
      await store.set(scope(gw, 'openai', 'b'), 'k2', entry(), 60);
      await store.set(scope(gw, 'anthropic', 'a'), 'k3', entry(), 60);
      await store.set(scope(gw, 'anthropic', 'c'), 'k4', entry(), 60);
      await store.set(scope('other', 'openai', 'a'), 'k5', entry(), 60);
      expect(await store.purge({ accountId: 'local', gatewayId: gw, provider: 'openai', model: 'a' })).toBe(
        1,
      );
      expect(await store.purge({ accountId: 'local', gatewayId: gw, model: 'c' })).toBe(1);
      expect(await store.purge({ accountId: 'local', gatewayId: gw, provider: 'openai' })).toBe(1);
      expect(await store.get(scope(gw), 'k3')).toBeDefined();
      expect(await store.purge({ accountId: 'local', gatewayId: gw })).toBe(1);
      expect(await store.get(scope(gw), 'k3')).toBeUndefined();
      expect(await store.get(scope('other'), 'k5')).toBeDefined();
    });

    it.runIf(opts.persistent)('keeps entries across a reopen', async () => {
      await store.set(scope('persist'), 'k', entry('kept'), 60);
      const again = await reopen!();
      expect((await again.get(scope('persist'), 'k'))?.body.toString()).toBe('kept');
      await again.close();
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeStore('memory', async () => ({ store: memoryStore(10_000_000) }), { persistent: false });

describeStore(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cache-sqlite-'));
    dirs.push(dir);
    const open = async () => {
      const { db, raw } = openSqlite(join(dir, 'gatehouse.db'));
      await migrate(db);
      return sqliteStore(raw);
    };
    return { store: await open(), reopen: open };
  },
  { persistent: true },
);

let redis: RedisServer | undefined;
describeStore(
  'redis',
  async () => {
    redis = await startRedis();
    const url = redis!.url;
    return { store: await redisStore(url), reopen: () => redisStore(url) };
  },
  { persistent: true, skip: !REDIS_AVAILABLE && !process.env['CI'] },
);
afterAll(() => redis?.stop());

describe('memory store bound', () => {
  it('never holds more bytes than its bound, and refuses an entry larger than the bound', async () => {
    const bound = 50_000;
    const store = memoryStore(bound);
    for (let i = 0; i < 200; i++) {
      await store.set(scope(), `k${i}`, entry(Buffer.alloc(100 + ((i * 997) % 4000))), 60);
      expect(store.bytes()).toBeLessThanOrEqual(bound);
    }
    expect(await store.get(scope(), 'k199')).toBeDefined();
    expect(await store.get(scope(), 'k0')).toBeUndefined();
    await store.set(scope(), 'huge', entry(Buffer.alloc(bound + 1)), 60);
    expect(await store.get(scope(), 'huge')).toBeUndefined();
  });
});

describe.skipIf(!REDIS_AVAILABLE && !process.env['CI'])('redis store when Redis goes away', () => {
  it('reads miss and writes are dropped, without errors', async () => {
    const server = (await startRedis())!;
    const warnings: string[] = [];
    const store = await redisStore(server.url, { log: (_l, m) => warnings.push(m) });
    await store.set(scope(), 'k', entry(), 60);
    expect(await store.get(scope(), 'k')).toBeDefined();
    await server.stop();
    expect(await store.get(scope(), 'k')).toBeUndefined();
    await expect(store.set(scope(), 'k2', entry(), 60)).resolves.toBeUndefined();
    expect(warnings.join(' ')).toContain('Redis unavailable');
    await store.close();
  });
});
