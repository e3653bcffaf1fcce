import { Redis } from 'ioredis';
import { atMostEvery } from './at-most-every.ts';

/**
 * How long a command may wait for Redis's first byte back. Redis answers the gateway's commands in
 * well under a millisecond; one that is stopped, swapping or behind a partition that drops packets
 * answers never, and without this bound every cached request or rate-limited request would wait
 * with it. After this long the connection is dropped, its commands fail (the callers then serve
 * without the cache, or let the request through the limit), and the client reconnects in the
 * background, failing fast meanwhile.
 */
export const REDIS_REPLY_TIMEOUT_MS = 1000;

const REFUSAL_REPORT_MS = 60_000;
/** How long a start waits for the first connection, at most. */
const READY_WITHIN_MS = 3000;

export interface RedisClientOptions {
  /** Called once when Redis becomes unavailable, and again only after it has been back. */
  onDown: (reason: string) => void;
  /** Called when Redis answers again after `onDown`, with how long it was away. */
  onUp: (downForMs: number) => void;
  /**
   * Called when Redis answers a command with an error (out of memory under `noeviction`, a
   * read-only replica): it is there, but refuses. At most once a minute.
   */
  onRefused: (reason: string) => void;
}

/**
 * A Redis client for the request path: no queue of commands waiting for a Redis that is away, a
 * bound on how long a reply may take, and reconnection in the background. A Redis that is down at
 * start is reported through `onDown` and retried, never a failed start.
 */
export async function connectRedis(
  url: string,
  opts: RedisClientOptions,
): Promise<{ redis: Redis; failed: (err: unknown) => void }> {
  const redis = new Redis(url, {
    // A command caught by a lost connection fails at once rather than waiting for the next one:
    // reconnecting to a hung Redis can itself hang, and the request would wait with it.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    socketTimeout: REDIS_REPLY_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let healthy = true;
  let downSince = 0;
  const refused = atMostEvery(REFUSAL_REPORT_MS, (message) => opts.onRefused(message));
  // A command that failed for want of Redis reports like a lost connection: either way, once until
  // Redis is back. One that Redis refused says so instead, and leaves the connection's state alone.
  const failed = (err: unknown) => {
    const e = err as Error;
    if (e.name === 'ReplyError') {
      refused(e.message);
      return;
    }
    if (healthy) {
      opts.onDown(e.message);
      downSince = Date.now();
    }
    healthy = false;
  };
  redis.on('error', failed);
  redis.on('ready', () => {
    if (!healthy) opts.onUp(Date.now() - downSince);
    healthy = true;
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, READY_WITHIN_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { redis, failed };
}
