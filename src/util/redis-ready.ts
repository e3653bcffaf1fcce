import type { Redis } from 'ioredis';

/**
 * Waits for a new Redis client to be ready, at most `ms`: a Redis that is down at start is
 * reported by the caller's `error` handler and retried in the background, never a failed start.
 */
export function readyOrTimeout(redis: Redis, ms = 3000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
