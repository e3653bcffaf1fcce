import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Config } from '../config/schema.ts';
import { memoryStore } from './memory-store.ts';
import type { CacheStore } from './types.ts';

/**
 * The store `cache.store` names. SQLite and Redis are loaded on demand, so a default start never
 * pays for a Redis client it does not use.
 */
export async function createCacheStore(
  config: Config,
  sqlite: () => Promise<DatabaseSync>,
  log: (level: 'warn', message: string) => void,
): Promise<CacheStore> {
  switch (config.cache.store) {
    case 'memory':
      return memoryStore(config.cache.maxBytes);
    case 'sqlite': {
      const { sqliteStore } = await import('./sqlite-store.ts');
      return sqliteStore(await sqlite(), {
        log,
        maxBytes: config.cache.maxBytes,
        fileDir: join(config.dataDir, 'cache-entries'),
      });
    }
    case 'redis': {
      const { redisStore } = await import('./redis-store.ts');
      return redisStore(config.redisUrl!, { log });
    }
  }
}
