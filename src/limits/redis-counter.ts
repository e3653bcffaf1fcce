import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../util/redis-client.ts';
import type { LimitCounter, LimitDecision, Window } from './counter.ts';

/**
 * One script for every operation, so check-and-add is atomic across nodes. Time is Redis's own
 * (`TIME`) unless the caller passes `now` (tests), so nodes with drifting clocks still agree.
 * Fixed windows: one float counter per aligned window. Sliding windows: a sorted set of entries
 * (score = time, member = "id:amount"), pruned as they age out. Numbers come back as strings:
 * Lua numbers would be truncated to integers in the reply, and spend budgets are fractional.
 */
const SCRIPT = `
local limit = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local technique = ARGV[5]
local mode = ARGV[6]
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
if technique == 'fixed' then
  local start = math.floor(now / win) * win
  local k = KEYS[1] .. ':' .. start
  local used = tonumber(redis.call('GET', k) or '0')
  local allowed = 1
  if mode == 'take' and used + amount > limit then allowed = 0 end
  if mode == 'peek' and used >= limit then allowed = 0 end
  if (mode == 'take' and allowed == 1) or mode == 'add' then
    used = tonumber(redis.call('INCRBYFLOAT', k, amount))
    redis.call('PEXPIRE', k, win + 1000)
  end
  local reset = start + win - now
  local retry = 0
  if allowed == 0 then retry = reset end
  return {allowed, tostring(used), tostring(reset), tostring(retry)}
end
local k = KEYS[1]
redis.call('ZREMRANGEBYSCORE', k, '-inf', now - win)
local entries = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], ':(.+)$'))
end
local allowed = 1
if mode == 'take' and used + amount > limit then allowed = 0 end
if mode == 'peek' and used >= limit then allowed = 0 end
local retry = 0
if allowed == 0 then
  local freed = used
  for i = 1, #entries, 2 do
    freed = freed - tonumber(string.match(entries[i], ':(.+)$'))
    if freed + amount <= limit then
      retry = tonumber(entries[i + 1]) + win - now
      break
    end
  end
end
if (mode == 'take' and allowed == 1) or mode == 'add' then
  redis.call('ZADD', k, now, ARGV[7] .. ':' .. ARGV[3])
  redis.call('PEXPIRE', k, win + 1000)
  used = used + amount
  if #entries == 0 then entries = {'', tostring(now)} end
end
local reset = 0
if #entries > 0 then reset = tonumber(entries[2]) + win - now end
return {allowed, tostring(used), tostring(reset), tostring(retry)}`;

type Log = (level: 'warn', message: string) => void;

interface WithLimitScript {
  gatehouseLimit(key: string, ...args: string[]): Promise<[number, string, string, string]>;
}

/** Counters shared by every node through Redis. When Redis is down, limits fail open and say so. */
export async function redisCounter(url: string, opts: { log?: Log } = {}): Promise<LimitCounter> {
  const log = opts.log ?? ((_l, m) => console.warn(m));
  const { redis, failed } = await connectRedis(url, {
    onDown: (reason) =>
      log('warn', `limits: Redis unavailable (${reason}); letting requests through until it is back`),
    onUp: (ms) => log('warn', `limits: Redis is back after ${Math.round(ms / 1000)} s; counting again`),
    onRefused: (reason) =>
      log('warn', `limits: Redis refused a command (${reason}); letting those requests through`),
  });
  redis.defineCommand('gatehouseLimit', { numberOfKeys: 1, lua: SCRIPT });
  const r = redis as unknown as Redis & WithLimitScript;
  // A per-process prefix keeps sliding-window members unique across nodes without a round trip.
  const node = randomBytes(4).toString('hex');
  let seq = 0;

  const run = async (
    key: string,
    w: Window,
    amount: number,
    now: number | undefined,
    mode: 'take' | 'add' | 'peek',
  ): Promise<LimitDecision> => {
    const [allowed, used, reset, retry] = await r.gatehouseLimit(
      `gatehouse:limit:${w.technique}:${w.windowMs}:${key}`,
      String(w.limit),
      String(w.windowMs),
      String(amount),
      now === undefined ? '' : String(now),
      w.technique,
      mode,
      `${node}.${++seq}`,
    );
    return {
      allowed: allowed === 1,
      limit: w.limit,
      remaining: Math.max(0, w.limit - Number(used)),
      resetMs: Math.max(0, Number(reset)),
      retryAfterMs: Math.max(0, Number(retry)),
    };
  };
  const open = (w: Window): LimitDecision => ({
    allowed: true,
    limit: w.limit,
    remaining: w.limit,
    resetMs: 0,
    retryAfterMs: 0,
    failedOpen: true,
  });

  return {
    name: 'redis',
    async take(key, w, amount, now) {
      try {
        return await run(key, w, amount, now, 'take');
      } catch (err) {
        failed(err);
        return open(w);
      }
    },
    async add(key, w, amount, now) {
      await run(key, w, amount, now, 'add').catch(failed);
    },
    async peek(key, w, now) {
      try {
        return await run(key, w, 0, now, 'peek');
      } catch (err) {
        failed(err);
        return open(w);
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
