import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import { type LimitCounter, type LimitDecision, toSeconds, type Window } from './counter.ts';

/** The gateway's own rate limit (SPEC §6), or undefined when it has none. */
export function gatewayWindow(gateway: Gateway): Window | undefined {
  const s = gateway.settings;
  const limit = s.rate_limiting_limit ?? 0;
  const interval = s.rate_limiting_interval ?? 0;
  if (limit <= 0 || interval <= 0) return undefined;
  return { limit, windowMs: interval * 1000, technique: s.rate_limiting_technique ?? 'fixed' };
}

const keyOf = (gateway: Gateway) => `gw:${gateway.accountId}:${gateway.id}`;

/** The IETF RateLimit headers the hosted product does not send and its users ask for. */
export function rateLimitHeaders(d: LimitDecision): OutgoingHttpHeaders {
  return {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(Math.floor(d.remaining)),
    'ratelimit-reset': String(toSeconds(d.resetMs)),
  };
}

/**
 * Counts one request against the gateway's limit; over it, a 429 with code 2003, `retry-after`
 * and the RateLimit headers. Called once per request after a cache miss: hits never count.
 */
export async function takeGatewayLimit(
  counter: LimitCounter,
  gateway: Gateway,
  window: Window,
): Promise<OutgoingHttpHeaders> {
  const d = await counter.take(keyOf(gateway), window, 1);
  const headers = rateLimitHeaders(d);
  if (d.allowed) return headers;
  const retryAfter = String(Math.max(1, toSeconds(d.retryAfterMs)));
  throw new GatewayError(
    'rateLimited',
    `gateway "${gateway.id}" allows ${window.limit} requests per ${window.windowMs / 1000} s (${window.technique} window); retry after ${retryAfter} s`,
    { ...(headers as Record<string, string>), 'retry-after': retryAfter },
  );
}

/** The limit's state for a response that did not count (a cache hit). */
export async function peekGatewayLimit(
  counter: LimitCounter,
  gateway: Gateway,
  window: Window,
): Promise<OutgoingHttpHeaders> {
  return rateLimitHeaders(await counter.peek(keyOf(gateway), window));
}
