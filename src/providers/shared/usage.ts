import type { Usage } from '../types.ts';

/** A Usage from the fields a provider reported; null when it reported none of them. */
export function makeUsage(fields: Partial<Usage>): Usage | null {
  const usage: Usage = {
    tokensIn: fields.tokensIn ?? null,
    tokensOut: fields.tokensOut ?? null,
    cachedTokensIn: fields.cachedTokensIn ?? null,
    cacheWriteTokensIn: fields.cacheWriteTokensIn ?? null,
    reasoningTokens: fields.reasoningTokens ?? null,
  };
  const empty =
    usage.tokensIn === null &&
    usage.tokensOut === null &&
    usage.cachedTokensIn === null &&
    usage.cacheWriteTokensIn === null &&
    usage.reasoningTokens === null;
  return empty ? null : usage;
}
