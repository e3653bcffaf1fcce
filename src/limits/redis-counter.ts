import type { Redis } from 'ioredis';
import { connectRedis } from '../util/redis-client.ts';
import { type LimitCounter, type LimitDecision, slidingSlotMs, type Window } from './counter.ts';

/**
 * One script for every operation, so check-and-add is atomic across nodes. Time is Redis's own
 * (`TIME`) unless the caller passes `now` (tests), so nodes with drifting clocks still agree.
 * Fixed windows: one float counter per aligned window. Sliding windows: a list of slot entries
 * ("slot at amount", oldest first; see SLIDING_SLOTS), at most ~1 000 whatever the traffic, and
 * their running sum under `{key}:sum`. A decision reads the oldest and newest entries, and walks
 * further only to tell a refused request when it would fit. Numbers travel as strings with 17
 * digits: Lua numbers would be truncated to integers in the reply, and spend budgets are
 * fractional.
 */
const SCRIPT = `
local limit = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local technique = ARGV[5]
local mode = ARGV[6]
local slotMs = tonumber(ARGV[7])
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
local function num(x) return string.format('%.17g', x) end
local function entry(e)
  local slot, at, amt = string.match(e, '^(%S+) (%S+) (%S+)$')
  return tonumber(slot), tonumber(at), tonumber(amt)
end
local k = KEYS[1]
local sumk = k .. ':sum'
local used = tonumber(redis.call('GET', sumk) or '0')
local pruned = false
while true do
  local e = redis.call('LINDEX', k, 0)
  if not e then break end
  local _, at, amt = entry(e)
  if at > now - win then break end
  redis.call('LPOP', k)
  used = used - amt
  pruned = true
end
local n = redis.call('LLEN', k)
if n == 0 then
  used = 0
  if pruned then redis.call('DEL', sumk) end
elseif pruned then
  redis.call('SET', sumk, num(used), 'PX', win + 1000)
end
local allowed = 1
if mode == 'take' and used + amount > limit then allowed = 0 end
if mode == 'peek' and used >= limit then allowed = 0 end
local retry = 0
if allowed == 0 then
  -- When the oldest entries free room for it. A window far over its limit (one lowered
  -- mid-window) may need many: past the first 64 the answer is when the 64th leaves, a lower
  -- bound, so that a refused request stays cheap.
  local freed = used
  local oldest = redis.call('LRANGE', k, 0, 63)
  for j = 1, #oldest do
    local _, at, amt = entry(oldest[j])
    freed = freed - amt
    if freed + amount <= limit or j == 64 then
      retry = at + win - now
      break
    end
  end
end
if (mode == 'take' and allowed == 1) or mode == 'add' then
  local slot = math.floor(now / slotMs)
  local last = n > 0 and redis.call('LINDEX', k, -1)
  local ls, lat, lamt
  if last then ls, lat, lamt = entry(last) end
  if last and slot <= ls then
    redis.call('LSET', k, -1, num(ls) .. ' ' .. num(math.max(lat, now)) .. ' ' .. num(lamt + amount))
  else
    redis.call('RPUSH', k, num(slot) .. ' ' .. num(now) .. ' ' .. num(amount))
  end
  redis.call('PEXPIRE', k, win + 1000)
  used = used + amount
  redis.call('SET', sumk, num(used), 'PX', win + 1000)
end
local reset = 0
local first = redis.call('LINDEX', k, 0)
if first then
  local _, at = entry(first)
  reset = at + win - now
end
return {allowed, num(used), num(reset), num(retry)}`;

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

  const run = async (
    key: string,
    w: Window,
    amount: number,
    now: number | undefined,
    mode: 'take' | 'add' | 'peek',
  ): Promise<LimitDecision> => {
    const [allowed, used, reset, retry] = await r.gatehouseLimit(
      // `slots`: the sliding windows' list (a sorted set of one entry per request before it), so a
      // node of an earlier version never reads a key of the other type during a rolling upgrade.
      `gatehouse:limit:${w.technique === 'sliding' ? 'slots' : 'fixed'}:${w.windowMs}:${key}`,
      String(w.limit),
      String(w.windowMs),
      String(amount),
      now === undefined ? '' : String(now),
      w.technique,
      mode,
      String(slidingSlotMs(w.windowMs)),
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
