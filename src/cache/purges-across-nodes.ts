import type { ChangeFeed } from '../db/change-feed.ts';
import type { CacheStore, PurgeFilter } from './types.ts';

/**
 * Makes a purge reach every node when each node keeps its own entries (`memory`, or the
 * node-local SQLite file on Postgres): a purge here, from the API or after a config change, is
 * passed on through the change feed, and one passed on by another node is applied here; after the
 * feed reconnects, every entry here is purged. Redis is one store for all nodes already, so it is
 * returned as it is.
 */
export function purgesAcrossNodes(
  store: CacheStore,
  feed: ChangeFeed,
  gateways: () => Array<{ accountId: string; gatewayId: string }>,
  log: (level: 'warn', message: string) => void,
): CacheStore {
  if (store.name === 'redis') return store;
  const purgeHere = (filter: PurgeFilter) => {
    store.purge(filter).catch((err: unknown) => {
      log('warn', `cache purge asked for by another node failed: ${(err as Error).message}`);
    });
  };
  feed.onPurge(purgeHere);
  // A purge sent while this node was not listening never arrives: one of its entries might be
  // one another node purged, so none of them is served. The cache starts over, cold but right.
  feed.onReconnect(() => {
    for (const g of gateways()) purgeHere(g);
  });
  return {
    name: store.name,
    get: (scope, key) => store.get(scope, key),
    set: (scope, key, entry, ttl) => store.set(scope, key, entry, ttl),
    expiresAt: (scope, key) => store.expiresAt(scope, key),
    async purge(filter) {
      const purged = await store.purge(filter);
      feed.publishPurge(filter);
      return purged;
    },
    ...(store.held ? { held: () => store.held!() } : {}),
    close: () => store.close(),
  };
}
