import { LRUCache } from 'lru-cache';
import { entrySize } from './codec.ts';
import {
  type CachedResponse,
  type CacheStore,
  type EntryScope,
  entryId,
  type PurgeFilter,
  purgeTakes,
} from './types.ts';

interface Slot {
  scope: EntryScope;
  key: string;
  entry: CachedResponse;
  /** Absolute, so every read of it tells the same instant (a remaining TTL drifts by the read's time). */
  expiresAt: number;
}

export interface MemoryStore extends CacheStore {
  /** What it holds now; its bytes never above the bound. */
  held(): { entries: number; bytes: number };
}

/** The default store: an LRU bounded in bytes (`cache.max_bytes`), gone on restart. */
export function memoryStore(maxBytes: number): MemoryStore {
  const lru = new LRUCache<string, Slot>({
    maxSize: maxBytes,
    sizeCalculation: (slot) => Math.max(1, entrySize(slot.entry)),
    // An entry bigger than the whole bound is refused rather than evicting everything.
    maxEntrySize: maxBytes,
    ttlAutopurge: false,
  });
  return {
    name: 'memory',
    async get(scope, key) {
      return lru.get(entryId(scope, key))?.entry;
    },
    async set(scope, key, entry, ttlSeconds) {
      const ttl = ttlSeconds * 1000;
      lru.set(entryId(scope, key), { scope, key, entry, expiresAt: Date.now() + ttl }, { ttl });
    },
    async expiresAt(scope, key) {
      // `peek`: looking at an entry must not make it the most recently used.
      const at = lru.peek(entryId(scope, key))?.expiresAt;
      return at !== undefined && at > Date.now() ? at : undefined;
    },
    async purge(filter: PurgeFilter) {
      if (filter.key !== undefined) {
        // One entry: no walk over the others. An expired one is not counted (`get` is undefined).
        const id = entryId(filter, filter.key);
        const live = lru.get(id) !== undefined;
        lru.delete(id);
        return live ? 1 : 0;
      }
      let n = 0;
      for (const [k, slot] of lru.entries()) {
        if (!purgeTakes(filter, slot.scope, slot.key)) continue;
        lru.delete(k);
        n++;
      }
      return n;
    },
    async close() {
      lru.clear();
    },
    held: () => ({ entries: lru.size, bytes: lru.calculatedSize }),
  };
}
