/**
 * Counters behind every limit: request rate limits, token limits, spend limits. A counter answers
 * "may this amount be added to this key's window?" atomically, so concurrent requests on one node,
 * or on many nodes sharing Redis, never admit more than the limit together.
 */

export type Technique = 'fixed' | 'sliding';

export interface Window {
  /** The budget: requests, tokens or dollars. */
  limit: number;
  windowMs: number;
  /** `fixed`: calendar-aligned windows (12:00–12:10, 12:10–12:20…); `sliding`: the last `windowMs`. */
  technique: Technique;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** What is left after this decision (never negative). */
  remaining: number;
  /** Milliseconds until the window frees capacity (the fixed window's end, the oldest entry's expiry). */
  resetMs: number;
  /** When denied: how long until `amount` would fit; 0 when allowed. */
  retryAfterMs: number;
  /** The store could not be reached and the request was let through (limits fail open). */
  failedOpen?: boolean;
}

export interface LimitCounter {
  readonly name: string;
  /** Adds `amount` if it fits the window; a denied request adds nothing. */
  take(key: string, w: Window, amount: number, now?: number): Promise<LimitDecision>;
  /** Adds `amount` (negative to give back) whatever the limit: usage known only after the response. */
  add(key: string, w: Window, amount: number, now?: number): Promise<void>;
  /** The window's state without adding: is the budget already spent? */
  peek(key: string, w: Window, now?: number): Promise<LimitDecision>;
  close(): Promise<void>;
}

/**
 * A sliding window keeps at most this many entries per key: amounts that fall in the same slot of
 * `windowMs / SLIDING_SLOTS` share one entry, which leaves the window with the latest of them. So
 * an amount counts for at most one slot (0.1% of the window) longer than its own time says, never
 * shorter: no interval of `windowMs` ever admits more than the limit. One entry per request
 * instead grew without bound: at 10 000 requests in an hour's window, each decision on Redis read
 * all 10 000 (26 ms of Redis's one thread) and memory kept 10 000 objects per key.
 */
export const SLIDING_SLOTS = 1000;

export function slidingSlotMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / SLIDING_SLOTS));
}

export function slidingSlot(now: number, windowMs: number): number {
  return Math.floor(now / slidingSlotMs(windowMs));
}

export function fixedWindowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** Limit decisions to the client, in seconds as the RateLimit headers and `retry-after` carry them. */
export function toSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
