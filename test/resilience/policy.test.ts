import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import {
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  resolvePolicy,
  retryDelayMs,
} from '../../src/resilience/policy.ts';

const policy = (backoff: RetryPolicy['backoff'], delayMs = 100): RetryPolicy => ({
  maxAttempts: 5,
  delayMs,
  backoff,
  timeoutMs: undefined,
});

describe('retry delays', () => {
  it.each([
    ['constant', [100, 100, 100, 100]],
    ['linear', [100, 200, 300, 400]],
    ['exponential', [100, 200, 400, 800]],
  ] as const)('%s: before attempts 2..5', (backoff, expected) => {
    expect([2, 3, 4, 5].map((n) => retryDelayMs(policy(backoff), n, undefined))).toEqual(expected);
  });

  it('never exceeds 5 s, even when exponential growth or retry-after asks for more', () => {
    expect(retryDelayMs(policy('exponential', 5000), 5, undefined)).toBe(5000);
    expect(retryDelayMs(policy('constant', 0), 2, 60_000)).toBe(5000);
  });

  it('retry-after stretches a shorter delay and never shortens a longer one', () => {
    expect(retryDelayMs(policy('constant', 100), 2, 700)).toBe(700);
    expect(retryDelayMs(policy('constant', 900), 2, 700)).toBe(900);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('reads retry-after-ms first, then seconds, then an HTTP date', () => {
    expect(parseRetryAfter('250', '9', now)).toBe(250);
    expect(parseRetryAfter(undefined, '2', now)).toBe(2000);
    expect(parseRetryAfter(undefined, '1.5', now)).toBe(1500);
    expect(parseRetryAfter(undefined, 'Sun, 22 Nov 2026 12:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter(undefined, 'Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('treats anything unreadable as absent', () => {
    expect(parseRetryAfter('soon', undefined, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, 'later', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, undefined, now)).toBeUndefined();
  });
});

describe('what is retried', () => {
  it('408, 429 and 5xx; no other 4xx', () => {
    expect([408, 429, 500, 502, 503, 504, 529].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe('resolvePolicy precedence', () => {
  const gateway = {
    id: 'g',
    settings: {
      ...DEFAULT_SETTINGS,
      retry_max_attempts: 4,
      retry_delay: 300,
      retry_backoff: 'linear',
    },
  } as never;
  it('step config > headers > gateway > defaults', () => {
    expect(resolvePolicy(gateway, {})).toEqual({
      maxAttempts: 4,
      delayMs: 300,
      backoff: 'linear',
      timeoutMs: undefined,
    });
    expect(resolvePolicy(gateway, { maxAttempts: 2, requestTimeout: 50 })).toMatchObject({
      maxAttempts: 2,
      timeoutMs: 50,
    });
    expect(resolvePolicy(gateway, { maxAttempts: 2 }, { maxAttempts: 5, backoff: 'constant' })).toMatchObject(
      {
        maxAttempts: 5,
        backoff: 'constant',
        delayMs: 300,
      },
    );
    const plain = { id: 'g', settings: DEFAULT_SETTINGS } as never;
    expect(resolvePolicy(plain, {})).toEqual({
      maxAttempts: 1,
      delayMs: 100,
      backoff: 'constant',
      timeoutMs: undefined,
    });
  });
});
