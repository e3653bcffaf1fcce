import type { Gateway } from '../gateways/schema.ts';
import type { AigOptions } from '../proxy/options.ts';

/** The hosted product's cacheable request size (SPEC.md §15); responses are held to the same bound. */
export const MAX_CACHEABLE_BYTES = 25 * 1024 * 1024;

/** A custom cache key with no TTL anywhere is kept 5 minutes (SPEC.md §5, §15). */
const CUSTOM_KEY_DEFAULT_TTL = 300;

/**
 * How long this request's response may be cached, or undefined when caching does not apply:
 * `cf-aig-skip-cache`, then `cf-aig-cache-ttl`, then the gateway's `cache_ttl`.
 */
export function cacheTtl(
  method: string,
  bodyLength: number,
  gateway: Gateway,
  options: AigOptions,
): number | undefined {
  if (options.skipCache) return undefined;
  // Reads and model calls are cached; anything that changes state upstream never is.
  if (method !== 'POST' && method !== 'GET') return undefined;
  if (bodyLength > MAX_CACHEABLE_BYTES) return undefined;
  if (options.cacheTtl !== undefined) return options.cacheTtl;
  const ttl = gateway.settings.cache_ttl;
  if (ttl) return ttl;
  if (options.cacheKey !== undefined) return CUSTOM_KEY_DEFAULT_TTL;
  return undefined;
}
