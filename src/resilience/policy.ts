import type { Gateway } from '../gateways/schema.ts';
import type { AigOptions } from '../proxy/options.ts';

export type Backoff = 'constant' | 'linear' | 'exponential';

/** How one step is tried: its attempts, the pause between them, and its first-byte timeout. */
export interface RetryPolicy {
  maxAttempts: number;
  delayMs: number;
  backoff: Backoff;
  /** Milliseconds to the first response byte, per attempt; undefined = only the server's own limits. */
  timeoutMs: number | undefined;
}

/** SPEC.md §15: at most 5 attempts and 5 s between two of them, whatever the source. */
export const MAX_ATTEMPTS = 5;
export const MAX_DELAY_MS = 5000;
/** The dashboard's smallest choice; used when retries are on and no delay is given. */
export const DEFAULT_DELAY_MS = 100;

/** The step's `config` of the universal endpoint, already validated. */
export interface StepConfig {
  requestTimeout?: number | undefined;
  maxAttempts?: number | undefined;
  retryDelay?: number | undefined;
  backoff?: Backoff | undefined;
}

/**
 * The policy for one step: the universal step's `config`, else the request's `cf-aig-*` headers
 * (step headers already merged over request headers), else the gateway's settings, else one attempt.
 */
export function resolvePolicy(gateway: Gateway, options: AigOptions, step?: StepConfig): RetryPolicy {
  const s = gateway.settings;
  return {
    maxAttempts: step?.maxAttempts ?? options.maxAttempts ?? s.retry_max_attempts ?? 1,
    delayMs: step?.retryDelay ?? options.retryDelay ?? s.retry_delay ?? DEFAULT_DELAY_MS,
    backoff: step?.backoff ?? options.backoff ?? s.retry_backoff ?? 'constant',
    timeoutMs: step?.requestTimeout ?? options.requestTimeout,
  };
}

/** 408, 429 and 5xx are worth another try; any other 4xx would fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The pause before attempt `next` (2 for the first retry): `delay` constant, `delay × (next−1)`
 * linear, `delay × 2^(next−2)` exponential. An upstream `retry-after` stretches it, and the
 * result never exceeds the 5 s cap, so a provider asking for a minute does not hold the client.
 */
export function retryDelayMs(policy: RetryPolicy, next: number, retryAfterMs: number | undefined): number {
  const n = Math.max(1, next - 1);
  const base =
    policy.backoff === 'constant'
      ? policy.delayMs
      : policy.backoff === 'linear'
        ? policy.delayMs * n
        : policy.delayMs * 2 ** (n - 1);
  return Math.min(MAX_DELAY_MS, Math.max(base, retryAfterMs ?? 0));
}

/**
 * `retry-after-ms` (OpenAI, Azure) wins over `retry-after`, which is seconds or an HTTP date
 * (RFC 9110 §10.2.3). Anything unreadable counts as absent.
 */
export function parseRetryAfter(
  retryAfterMs: string | undefined,
  retryAfter: string | undefined,
  now = Date.now(),
): number | undefined {
  if (retryAfterMs !== undefined) {
    const ms = Number(retryAfterMs.trim());
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (retryAfter === undefined) return undefined;
  const v = retryAfter.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
