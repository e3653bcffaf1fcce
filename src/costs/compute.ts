import type { Usage } from '../providers/types.ts';
import type { PriceMatch } from './prices.ts';

export type CustomCost = { perTokenIn: number; perTokenOut: number } | { totalCost: number };

export interface Cost {
  /** US dollars, or null when nothing prices this request. */
  cost: number | null;
  /** Set by `cf-aig-custom-cost` rather than the price table. */
  custom: boolean;
  /** On a cache hit: what the price table gives for the hit's tokens, i.e. what the cache saved. */
  saved?: number | null;
}

const PER_MILLION = 1_000_000;

/**
 * What one request cost. `usage` follows the adapters' convention: `tokensIn` counts every input
 * token (cache reads and writes included) and `tokensOut` every generated one (reasoning included),
 * so cache reads, cache writes and reasoning are priced apart by subtraction, never twice.
 * A cache hit costs 0; `cf-aig-custom-cost` overrides the table (its per-token form needs token
 * counts, as the hosted product's does; `total_cost` stands alone).
 */
export function computeCost(input: {
  usage: Usage | null | undefined;
  price: PriceMatch | undefined;
  cached: boolean;
  custom: CustomCost | undefined;
}): Cost {
  if (input.cached) return { cost: 0, custom: false };
  const u = input.usage;
  if (input.custom) {
    if ('totalCost' in input.custom) return { cost: input.custom.totalCost, custom: true };
    if (!u || (u.tokensIn === null && u.tokensOut === null)) return { cost: null, custom: false };
    return {
      cost: (u.tokensIn ?? 0) * input.custom.perTokenIn + (u.tokensOut ?? 0) * input.custom.perTokenOut,
      custom: true,
    };
  }
  const p = input.price?.entry;
  if (!p || !u || (u.tokensIn === null && u.tokensOut === null)) return { cost: null, custom: false };
  const read = u.cachedTokensIn ?? 0;
  const write = u.cacheWriteTokensIn ?? 0;
  const plainIn = Math.max(0, (u.tokensIn ?? 0) - read - write);
  const reasoning = p.reasoning === undefined ? 0 : (u.reasoningTokens ?? 0);
  const plainOut = Math.max(0, (u.tokensOut ?? 0) - reasoning);
  const dollars =
    plainIn * p.input +
    read * (p.cache_read ?? p.input) +
    write * (p.cache_write ?? p.input) +
    plainOut * p.output +
    reasoning * (p.reasoning ?? p.output);
  return { cost: dollars / PER_MILLION, custom: false };
}

/**
 * What a cache hit saved: the price table's cost for the tokens the stored answer carries, as if
 * the provider had been called. A custom cost is not used: it prices the request being made, and
 * a hit made none.
 */
export function cacheSavings(usage: Usage | null | undefined, price: PriceMatch | undefined): number | null {
  return computeCost({ usage, price, cached: false, custom: undefined }).cost;
}
