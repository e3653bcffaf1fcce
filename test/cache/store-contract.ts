import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachedResponse, CacheStore, EntryScope } from '../../src/cache/types.ts';

export type MakeStore = () => Promise<{ store: CacheStore; reopen?: () => Promise<CacheStore> }>;

export const scope = (
  gatewayId = 'g1',
  provider = 'openai',
  model: string | null = 'gpt-4o',
): EntryScope => ({
  accountId: 'local',
  gatewayId,
  provider,
  model,
});

export function entry(body: Buffer | string = 'hello', frames: number[] | null = null): CachedResponse {
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

const text = async (store: CacheStore, s: EntryScope, key: string) =>
  (await store.get(s, key))?.body.toString();

/**
 * The contract every `CacheStore` passes (see `src/cache/types.ts`). `reopen` opens the same
 * backing data again; when given, entries must survive it. `skip` is for a store whose service
 * is missing outside CI (the caller prints the notice).
 */
export function describeCacheStore(name: string, make: MakeStore, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip ?? false)(`${name} cache store`, () => {
    let store: CacheStore | undefined;
    let reopen: (() => Promise<CacheStore>) | undefined;
    const s = () => store as CacheStore;
    beforeAll(async () => {
      ({ store, reopen } = await make());
    });
    afterAll(async () => {
      await store?.close();
    });

    it('round-trips an entry exactly: binary body, headers, frames', async () => {
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
      const stored = entry(bytes, [10, 2000, 70_000]);
      await s().set(scope(), 'k-bin', stored, 60);
      const got = await s().get(scope(), 'k-bin');
      expect(got).toBeDefined();
      expect(Buffer.isBuffer(got?.body)).toBe(true);
      expect(got?.body.equals(bytes)).toBe(true);
      const { body: _a, ...gotMeta } = got as CachedResponse;
      const { body: _b, ...storedMeta } = stored;
      expect(gotMeta).toEqual(storedMeta);
    });

    it('round-trips a null model and an empty body', async () => {
      const stored = { ...entry(Buffer.alloc(0)), model: null, tokensIn: null, tokensOut: null };
      await s().set(scope('g1', 'openai', null), 'k-null', stored, 60);
      const got = await s().get(scope(), 'k-null');
      expect(got?.model).toBeNull();
      expect(got?.tokensIn).toBeNull();
      expect(got?.body.length).toBe(0);
    });

    it('misses an unknown key', async () => {
      expect(await s().get(scope(), 'never-set')).toBeUndefined();
      expect(await s().get(scope('no-such-gateway'), 'k-bin')).toBeUndefined();
    });

    it('keeps gateways apart: the same key in two gateways is two entries', async () => {
      await s().set(scope('iso-1'), 'same', entry('one'), 60);
      await s().set(scope('iso-2'), 'same', entry('two'), 60);
      expect(await text(s(), scope('iso-1'), 'same')).toBe('one');
      expect(await text(s(), scope('iso-2'), 'same')).toBe('two');
      expect(await s().get({ accountId: 'other-account', gatewayId: 'iso-1' }, 'same')).toBeUndefined();
    });

    it('overwrites an entry set again under the same key', async () => {
      await s().set(scope('over'), 'k', entry('first'), 60);
      await s().set(scope('over', 'anthropic', 'claude'), 'k', { ...entry('second'), status: 201 }, 60);
      const got = await s().get(scope('over'), 'k');
      expect(got?.body.toString()).toBe('second');
      expect(got?.status).toBe(201);
      // The overwrite moved the entry to its new provider: purging the old one leaves it.
      expect(await s().purge({ accountId: 'local', gatewayId: 'over', provider: 'openai' })).toBe(0);
      expect(await s().purge({ accountId: 'local', gatewayId: 'over', provider: 'anthropic' })).toBe(1);
    });

    it('does not let a purged key, set again under another model, be purged by its old model', async () => {
      const gw = 'reuse';
      await s().set(scope(gw, 'openai', 'old'), 'k', entry('first'), 60);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, provider: 'openai' })).toBe(1);
      await s().set(scope(gw, 'anthropic', 'new'), 'k', entry('second'), 60);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, model: 'old' })).toBe(0);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, provider: 'openai', model: 'old' })).toBe(
        0,
      );
      expect(await text(s(), scope(gw), 'k')).toBe('second');
      expect(await s().purge({ accountId: 'local', gatewayId: gw, model: 'new' })).toBe(1);
    });

    it('expires entries after their TTL', async () => {
      await s().set(scope('ttl'), 'short', entry(), 1);
      await s().set(scope('ttl'), 'long', entry(), 60);
      expect(await s().get(scope('ttl'), 'short')).toBeDefined();
      await new Promise((r) => setTimeout(r, 1200));
      expect(await s().get(scope('ttl'), 'short')).toBeUndefined();
      expect(await s().get(scope('ttl'), 'long')).toBeDefined();
    });

    it('purges by provider and model, by provider, then all, and counts what it removed', async () => {
      const gw = 'purge';
      const all = { accountId: 'local', gatewayId: gw };
      await s().set(scope(gw, 'openai', 'a'), 'k1', entry(), 60);
      await s().set(scope(gw, 'openai', 'b'), 'k2', entry(), 60);
      await s().set(scope(gw, 'openai', 'b'), 'k2b', entry(), 60);
      await s().set(scope(gw, 'anthropic', 'a'), 'k3', entry(), 60);
      await s().set(scope(gw, 'anthropic', null), 'k4', entry(), 60);
      await s().set(scope('purge-other', 'openai', 'a'), 'k5', entry(), 60);

      expect(await s().purge({ ...all, provider: 'openai', model: 'a' })).toBe(1);
      expect(await s().get(scope(gw), 'k1')).toBeUndefined();
      expect(await s().get(scope(gw), 'k3')).toBeDefined();

      expect(await s().purge({ ...all, provider: 'openai' })).toBe(2);
      expect(await s().get(scope(gw), 'k2')).toBeUndefined();
      expect(await s().purge({ ...all, provider: 'openai' })).toBe(0);

      expect(await s().purge(all)).toBe(2);
      expect(await s().get(scope(gw), 'k3')).toBeUndefined();
      expect(await s().get(scope(gw), 'k4')).toBeUndefined();
      expect(await s().purge(all)).toBe(0);

      // Another gateway's entry under the same provider and model is untouched.
      expect(await text(s(), scope('purge-other'), 'k5')).toBe('hello');
    });

    it('tells when a live entry expires, and nothing for one that is gone', async () => {
      const gw = 'expiry';
      const before = Date.now();
      await s().set(scope(gw), 'k', entry(), 60);
      const at = await s().expiresAt(scope(gw), 'k');
      expect(at).toBeGreaterThanOrEqual(before + 59_000);
      expect(at).toBeLessThanOrEqual(Date.now() + 60_000);
      // A later read tells the same instant: the API and the dashboard, asked apart, agree.
      await new Promise((r) => setTimeout(r, 25));
      expect(await s().expiresAt(scope(gw), 'k')).toBe(at);
      expect(await s().expiresAt(scope(gw), 'missing')).toBeUndefined();
      await s().set(scope(gw), 'short', entry(), 1);
      await new Promise((r) => setTimeout(r, 1200));
      expect(await s().expiresAt(scope(gw), 'short')).toBeUndefined();
    });

    it('purges one entry by its key, and no other', async () => {
      const gw = 'purge-key';
      await s().set(scope(gw, 'openai', 'a'), 'k1', entry(), 60);
      await s().set(scope(gw, 'openai', 'a'), 'k2', entry(), 60);
      await s().set(scope('purge-key-other', 'openai', 'a'), 'k1', entry(), 60);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, key: 'k1' })).toBe(1);
      expect(await s().get(scope(gw), 'k1')).toBeUndefined();
      expect(await text(s(), scope(gw), 'k2')).toBe('hello');
      expect(await text(s(), scope('purge-key-other'), 'k1')).toBe('hello');
      expect(await s().purge({ accountId: 'local', gatewayId: gw, key: 'k1' })).toBe(0);
      // Set again, it is purged again by the other filters: its indexes were left right.
      await s().set(scope(gw, 'openai', 'b'), 'k1', entry(), 60);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, model: 'a' })).toBe(1);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, model: 'b' })).toBe(1);
      expect(await s().get(scope(gw), 'k1')).toBeUndefined();
    });

    it('purges by model alone', async () => {
      const gw = 'purge-model';
      await s().set(scope(gw, 'openai', 'm'), 'k1', entry(), 60);
      await s().set(scope(gw, 'groq', 'm'), 'k2', entry(), 60);
      await s().set(scope(gw, 'openai', 'n'), 'k3', entry(), 60);
      expect(await s().purge({ accountId: 'local', gatewayId: gw, model: 'm' })).toBe(2);
      expect(await s().get(scope(gw), 'k3')).toBeDefined();
    });

    it('does not count entries that had already expired', async () => {
      const gw = 'purge-expired';
      await s().set(scope(gw), 'gone', entry(), 1);
      await s().set(scope(gw), 'live', entry(), 60);
      await new Promise((r) => setTimeout(r, 1200));
      expect(await s().purge({ accountId: 'local', gatewayId: gw })).toBe(1);
      expect(await s().get(scope(gw), 'live')).toBeUndefined();
    });

    it('keeps entries across a reopen', async (ctx) => {
      if (!reopen) ctx.skip();
      await s().set(scope('persist'), 'k', entry('kept'), 60);
      const again = await (reopen as () => Promise<CacheStore>)();
      try {
        expect(await text(again, scope('persist'), 'k')).toBe('kept');
      } finally {
        await again.close();
      }
    });
  });
}
