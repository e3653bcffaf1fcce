import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { connectRedis } from '../util/redis-client.ts';
import { decodeCompressedEntry, encodeCompressedEntry, encodeEntry } from './codec.ts';
import { RELEASE_WITH_WRITE, RedisClaims } from './redis-claims.ts';
import type { CacheStore, EntryScope, PurgeFilter } from './types.ts';

/**
 * Entries in Redis, shared by every gateway node. Layout, with `idx` = gatehouse:cache-index:{account}:{gateway}
 * (account and gateway ids are letters, digits, "_" and "-", so ":" separates without ambiguity):
 *   gatehouse:cache:{account}:{gateway}:{key}   string: the `codec.ts` entry (a body from 4 KiB compressed), with a PX ttl
 *   idx                                         sorted set: every entry key of the gateway, scored by when it expires
 *   idx:p:{provider} / idx:m:{model} / idx:pm:{provider}:{model}   sorted sets: the same, by provider, model, both
 *   idx:tags                                    hash: entry key → "{provider}\n{model}", which sets hold it
 *   gatehouse:cache-claim:{account}:{gateway}:{key}   string: the node making the call for that entry (`redis-claims.ts`)
 * A null model indexes as "". Index sets and the hash expire with their longest-lived entry (the
 * expiry is raised on each set, never lowered); on a busy gateway that is never, so each store
 * also takes up to 100 expired entries out of the indexes (by score, on Redis's clock): the
 * indexes hold the live entries and a little more, not every entry ever stored. A purge takes one
 * set's entries in batches and deletes them, and through the tags takes them out of every other
 * set too, so a key reused later under another provider or model is never purged by its old one;
 * it never scans the keyspace or reads values. Each script runs atomically.
 * When Redis is unreachable, reads miss and writes are dropped: caching degrades, requests don't fail.
 */
const INDEX_SETS = `
local function index_sets(prefix, tag)
  local nl = string.find(tag, '\\n', 1, true)
  local p, m = string.sub(tag, 1, nl - 1), string.sub(tag, nl + 1)
  return { prefix .. ':p:' .. p, prefix .. ':m:' .. m, prefix .. ':pm:' .. p .. ':' .. m }
end
local function forget(prefix, all, tags, entry)
  local tag = redis.call('HGET', tags, entry)
  if tag then
    for _, s in ipairs(index_sets(prefix, tag)) do redis.call('ZREM', s, entry) end
    redis.call('HDEL', tags, entry)
  end
  redis.call('ZREM', all, entry)
end
`;

/**
 * KEYS: entry, idx, idx:tags, the entry's claim. ARGV: value, ttl ms, idx, "{provider}\n{model}",
 * this node's claim token or "" (the write releases the claim: no other round trip).
 */
const SET_SCRIPT = `${INDEX_SETS}${RELEASE_WITH_WRITE}
local entry, all, tags, ttl, prefix, tag = KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, e in ipairs(redis.call('ZRANGEBYSCORE', all, '-inf', now, 'LIMIT', 0, 100)) do
  forget(prefix, all, tags, e)
end
local old = redis.call('HGET', tags, entry)
if old and old ~= tag then
  for _, s in ipairs(index_sets(prefix, old)) do redis.call('ZREM', s, entry) end
end
redis.call('SET', entry, ARGV[1], 'PX', ttl)
redis.call('HSET', tags, entry, tag)
local sets = index_sets(prefix, tag)
table.insert(sets, all)
for _, s in ipairs(sets) do redis.call('ZADD', s, now + ttl, entry) end
table.insert(sets, tags)
for _, s in ipairs(sets) do
  local left = redis.call('PTTL', s)
  if left == -1 or left < ttl then redis.call('PEXPIRE', s, ttl) end
end
release_claim(KEYS[4], ARGV[5])
return 1`;

/**
 * KEYS: the set to purge, idx, idx:tags. ARGV: idx, how many entries at most. Takes that many
 * entries out of the set and deletes them; returns how many were live and how many are left. The
 * caller repeats it, so a purge of a million entries never holds Redis (and every other node's
 * requests) for longer than one batch.
 */
const PURGE_SCRIPT = `${INDEX_SETS}
local target, all, tags, prefix = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local n = 0
local popped = redis.call('ZPOPMIN', target, tonumber(ARGV[2]))
for i = 1, #popped, 2 do
  n = n + redis.call('DEL', popped[i])
  forget(prefix, all, tags, popped[i])
end
return {n, redis.call('ZCARD', target)}`;

/** KEYS: the entry, idx, idx:tags. ARGV: idx. Deletes one entry and takes it out of every index. */
const PURGE_ONE_SCRIPT = `${INDEX_SETS}
local n = redis.call('DEL', KEYS[1])
forget(ARGV[1], KEYS[2], KEYS[3], KEYS[1])
return n`;

const PURGE_BATCH = 500;
/** An entry that cannot be read is reported at most this often. */
const UNREADABLE_REPORT_MS = 60_000;

type Log = (level: 'warn', message: string) => void;

export async function redisStore(url: string, opts: { log?: Log } = {}): Promise<CacheStore> {
  const log = opts.log ?? ((_l, m) => console.warn(m));
  const { redis, failed: down } = await connectRedis(url, {
    onDown: (reason) =>
      log('warn', `cache: Redis unavailable (${reason}); serving without the cache until it is back`),
    onUp: (ms) => log('warn', `cache: Redis is back after ${Math.round(ms / 1000)} s; caching again`),
    onRefused: (reason) =>
      log('warn', `cache: Redis refused a command (${reason}); that entry is not cached`),
  });

  const base = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>) => `${s.accountId}:${s.gatewayId}`;
  const entryKey = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string) =>
    `gatehouse:cache:${base(s)}:${key}`;
  const index = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>, suffix = '') =>
    `gatehouse:cache-index:${base(s)}${suffix}`;
  const claimKey = (s: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string) =>
    `gatehouse:cache-claim:${base(s)}:${key}`;
  const claims = new RedisClaims(redis, down);
  const unreadable = atMostEvery(UNREADABLE_REPORT_MS, (reason, times) =>
    log(
      'warn',
      `cache: an entry in Redis could not be read (${reason}); answered as a miss${sinceLastReport(times, 'unreadable entries')}`,
    ),
  );
  let absoluteExpiry = true;

  return {
    name: 'redis',
    async get(scope, key) {
      let bytes: Buffer | null;
      try {
        bytes = await redis.getBuffer(entryKey(scope, key));
      } catch (err) {
        down(err);
        return undefined;
      }
      if (!bytes) return undefined;
      try {
        return await decodeCompressedEntry(bytes);
      } catch (err) {
        // Bytes that are not an entry (another program's value under our key, a node of a later
        // version) are a miss, and the answer stored then replaces them. Redis itself is fine.
        unreadable((err as Error).message);
        return undefined;
      }
    },
    async expiresAt(scope, key) {
      try {
        const id = entryKey(scope, key);
        // PEXPIRETIME (Redis 7) tells the instant itself; before 7, the remaining TTL from now.
        if (absoluteExpiry) {
          try {
            const at = await redis.pexpiretime(id);
            return at > 0 ? at : undefined;
          } catch (err) {
            if (!/unknown command/i.test(String((err as Error).message))) throw err;
            absoluteExpiry = false;
          }
        }
        const left = await redis.pttl(id);
        return left > 0 ? Date.now() + left : undefined;
      } catch (err) {
        down(err);
        return undefined;
      }
    },
    claim(scope, key) {
      return claims.claim(entryKey(scope, key), claimKey(scope, key));
    },
    async set(scope, key, entry, ttlSeconds) {
      const idx = index(scope);
      const claim = claimKey(scope, key);
      // Compressing fails only short of memory; the entry is then stored as it is.
      const value = await encodeCompressedEntry(entry).catch(() => encodeEntry(entry));
      const token = claims.token(claim);
      try {
        await redis.eval(
          SET_SCRIPT,
          4,
          entryKey(scope, key),
          idx,
          `${idx}:tags`,
          claim,
          value,
          String(Math.round(ttlSeconds * 1000)),
          idx,
          `${scope.provider}\n${scope.model ?? ''}`,
          token,
        );
        if (token) claims.releasedWithWrite(claim, token);
      } catch (err) {
        down(err);
      }
    },
    async purge(f: PurgeFilter) {
      const idx = index(f);
      if (f.key !== undefined)
        return (await redis.eval(PURGE_ONE_SCRIPT, 3, entryKey(f, f.key), idx, `${idx}:tags`, idx)) as number;
      const suffix =
        f.provider !== undefined && f.model !== undefined
          ? `:pm:${f.provider}:${f.model}`
          : f.provider !== undefined
            ? `:p:${f.provider}`
            : f.model !== undefined
              ? `:m:${f.model}`
              : '';
      // Failures propagate: the purge API must not report a purge that did not happen.
      let purged = 0;
      for (;;) {
        const [n, left] = (await redis.eval(
          PURGE_SCRIPT,
          3,
          `${idx}${suffix}`,
          idx,
          `${idx}:tags`,
          idx,
          String(PURGE_BATCH),
        )) as [number, number];
        purged += n;
        if (left === 0) return purged;
      }
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
