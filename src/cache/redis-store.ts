import { Redis } from 'ioredis';
import { decodeEntry, encodeEntry } from './codec.ts';
import type { CacheStore, EntryScope, PurgeFilter } from './types.ts';

/**
 * Entries in Redis, shared by every gateway node. Layout:
 *   gatehouse:cache:{account}:{gateway}:{key}            the encoded entry, with a PX ttl
 *   gatehouse:cache-idx:{account}:{gateway}              keys of the gateway's entries
 *   …:p:{provider} / …:m:{model} / …:pm:{provider}:{model}   keys by provider, model, both
 * Index sets live as long as their longest entry; purges read one set and delete its keys, so they
 * never scan the keyspace. Members whose entry already expired are harmless (DEL counts 0).
 * When Redis is unreachable, reads miss and writes are dropped: caching degrades, requests don't fail.
 */
const SET_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  local t = redis.call('PTTL', KEYS[i])
  if t == -1 or t < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return 1`;

const PURGE_SCRIPT = `
local members = redis.call('SMEMBERS', KEYS[1])
local n = 0
for _, k in ipairs(members) do n = n + redis.call('DEL', k) end
redis.call('DEL', KEYS[1])
return n`;

type Log = (level: 'warn', message: string) => void;

export async function redisStore(url: string, opts: { log?: Log } = {}): Promise<CacheStore> {
  const log = opts.log ?? ((_l, m) => console.warn(m));
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let healthy = true;
  const down = (err: unknown) => {
    if (healthy)
      log(
        'warn',
        `cache: Redis unavailable (${(err as Error).message}); serving without the cache until it is back`,
      );
    healthy = false;
  };
  redis.on('error', down);
  redis.on('ready', () => {
    healthy = true;
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });

  const base = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>) => `${s.accountId}:${s.gatewayId}`;
  const entryKey = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string) =>
    `gatehouse:cache:${base(s)}:${key}`;
  const index = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>, suffix = '') =>
    `gatehouse:cache-idx:${base(s)}${suffix}`;

  return {
    name: 'redis',
    async get(scope, key) {
      try {
        const bytes = await redis.getBuffer(entryKey(scope, key));
        return bytes ? decodeEntry(bytes) : undefined;
      } catch (err) {
        down(err);
        return undefined;
      }
    },
    async set(scope, key, entry, ttlSeconds) {
      const model = scope.model ?? '';
      const keys = [
        entryKey(scope, key),
        index(scope),
        index(scope, `:p:${scope.provider}`),
        index(scope, `:m:${model}`),
        index(scope, `:pm:${scope.provider}:${model}`),
      ];
      try {
        await redis.eval(SET_SCRIPT, keys.length, ...keys, encodeEntry(entry), String(ttlSeconds * 1000));
      } catch (err) {
        down(err);
      }
    },
    async purge(f: PurgeFilter) {
      const suffix =
        f.provider !== undefined && f.model !== undefined
          ? `:pm:${f.provider}:${f.model}`
          : f.provider !== undefined
            ? `:p:${f.provider}`
            : f.model !== undefined
              ? `:m:${f.model}`
              : '';
      return Number(await redis.eval(PURGE_SCRIPT, 1, index(f, suffix)));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
