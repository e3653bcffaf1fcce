import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import type { MetadataValue } from '../proxy/options.ts';
import { type LimitCounter, toSeconds, type Window } from './counter.ts';

type Rule = NonNullable<Gateway['settings']['rate_limits']>[number];

/** A rule that covers a request, with the counter key of the value it partitions on. */
export interface RuleMatch {
  name: string;
  key: string;
  window: Window;
  unit: 'requests' | 'tokens';
  /** Tokens reserved up front from the request's output cap; given back once the usage is known. */
  reserved: number;
}

export interface RuleSubject {
  tokenId: string | undefined;
  provider: string;
  model: string | null;
  metadata: Record<string, MetadataValue> | undefined;
}

function partitionValue(rule: Rule, s: RuleSubject): string | undefined {
  switch (rule.key) {
    case 'gateway':
      return '*';
    case 'token':
      return s.tokenId;
    case 'provider':
      return s.provider;
    case 'model':
      return s.model ?? undefined;
    case 'provider_model':
      return s.model ? `${s.provider}/${s.model}` : undefined;
    default: {
      const v = s.metadata?.[rule.key.slice('metadata.'.length)];
      return v === undefined ? undefined : String(v);
    }
  }
}

/** The output cap a request declares, in the field its provider reads. */
export function outputCap(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const config = b['generationConfig'] as Record<string, unknown> | undefined;
  for (const v of [
    b['max_completion_tokens'],
    b['max_tokens'],
    b['max_output_tokens'],
    config?.['maxOutputTokens'],
  ]) {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return undefined;
}

/**
 * Checks every enabled `rate_limits` rule covering the request and counts it: a request rule
 * takes 1; a token rule takes the output cap up front (`max_tokens` & co.) when the request gives
 * one, else only checks that the budget is not already spent, and the real usage is added after
 * the response. Over a rule: 429 / 2003 naming it. A rule whose key the request lacks (no token,
 * no such metadata) does not cover it.
 */
export async function takeRuleLimits(
  counter: LimitCounter,
  gateway: Gateway,
  subject: RuleSubject,
  cap: number | undefined,
): Promise<RuleMatch[]> {
  const rules = gateway.settings.rate_limits;
  if (!rules) return [];
  const taken: RuleMatch[] = [];
  for (const [index, rule] of rules.entries()) {
    if (rule.enabled === false) continue;
    const value = partitionValue(rule, subject);
    if (value === undefined) continue;
    const name = rule.id ?? String(index);
    const unit = rule.unit ?? 'requests';
    const match: RuleMatch = {
      name,
      key: `rule:${gateway.accountId}:${gateway.id}:${name}:${value}`,
      window: { limit: rule.limit, windowMs: rule.interval * 1000, technique: rule.technique ?? 'fixed' },
      unit,
      reserved: 0,
    };
    const amount = unit === 'requests' ? 1 : (cap ?? 0);
    const d =
      amount > 0
        ? await counter.take(match.key, match.window, amount)
        : await counter.peek(match.key, match.window);
    if (!d.allowed) {
      // Give back what earlier rules took for a request that will not run.
      await refundRuleLimits(counter, taken);
      const retryAfter = String(Math.max(1, toSeconds(d.retryAfterMs || d.resetMs)));
      throw new GatewayError(
        'rateLimited',
        `rule '${name}' allows ${rule.limit} ${unit} per ${rule.interval} s for each ${rule.key} (${rule.key}: ${value.slice(0, 64)}); retry after ${retryAfter} s`,
        { 'retry-after': retryAfter },
      );
    }
    match.reserved = unit === 'tokens' ? amount : 0;
    taken.push(match);
  }
  return taken;
}

/** After an attempt: the tokens it really used, in every token rule that covered it. */
export async function chargeRuleTokens(
  counter: LimitCounter,
  matches: RuleMatch[],
  tokens: number,
): Promise<void> {
  await Promise.all(
    matches.filter((m) => m.unit === 'tokens' && tokens > 0).map((m) => counter.add(m.key, m.window, tokens)),
  );
}

/** For a request refused after it was counted: everything the rules took goes back. */
export async function refundRuleLimits(counter: LimitCounter, matches: RuleMatch[]): Promise<void> {
  await Promise.all(
    matches.map((m) => counter.add(m.key, m.window, m.unit === 'requests' ? -1 : -m.reserved)),
  );
}

/** At the request's end: the up-front token reservations go back (the real usage was charged). */
export async function releaseRuleLimits(counter: LimitCounter, matches: RuleMatch[]): Promise<void> {
  await Promise.all(
    matches.filter((m) => m.reserved > 0).map((m) => counter.add(m.key, m.window, -m.reserved)),
  );
}
