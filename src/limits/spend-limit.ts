import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import type { MetadataValue } from '../proxy/options.ts';
import { type LimitCounter, toSeconds, type Window } from './counter.ts';

type Rule = NonNullable<NonNullable<Gateway['settings']['spend_limits']>['rules']>[number];
type Dimension = NonNullable<Rule['model']>;

/** A spend rule that applies to one request, and the counter key of its partition. */
export interface SpendMatch {
  name: string;
  key: string;
  window: Window;
}

/** A filter dimension admits its values only; a partition dimension splits the budget by value. */
function dimension(d: Dimension | undefined, value: string | null, label: string, parts: string[]): boolean {
  if (!d) return true;
  if (value === null) return false;
  if (d.mode === 'filter') return d.values.includes(value);
  parts.push(`${label}=${value}`);
  return true;
}

/**
 * The gateway's spend rules (SPEC §12) that cover a request: enabled, with every filter matching.
 * A rule that partitions by a dimension the request lacks (no model, no such metadata) does not apply.
 */
export function matchSpendRules(
  gateway: Gateway,
  request: { provider: string; model: string | null; metadata: Record<string, MetadataValue> | undefined },
): SpendMatch[] {
  const limits = gateway.settings.spend_limits;
  if (!limits?.rules || limits.enabled === false) return [];
  const out: SpendMatch[] = [];
  limits.rules.forEach((rule, index) => {
    if (rule.enabled === false) return;
    const parts: string[] = [];
    if (!dimension(rule.provider, request.provider, 'provider', parts)) return;
    if (!dimension(rule.model, request.model, 'model', parts)) return;
    for (const [key, d] of Object.entries(rule.metadata ?? {})) {
      const v = request.metadata?.[key];
      if (!dimension(d, v === undefined ? null : String(v), `metadata.${key}`, parts)) return;
    }
    const name = rule.id ?? String(index);
    out.push({
      name,
      key: `spend:${gateway.accountId}:${gateway.id}:${name}:${parts.join('|')}`,
      window: { limit: rule.limit, windowMs: rule.window * 1000, technique: rule.technique ?? 'sliding' },
    });
  });
  return out;
}

/**
 * Before the upstream call: refuses the request when a matching rule's budget is already spent
 * (429, code 2041, naming the rule). The cost is recorded after the response, so concurrent
 * requests may overshoot a budget by what they cost together, as the hosted product's do.
 */
export async function checkSpend(
  counter: LimitCounter,
  matches: SpendMatch[],
  what: { provider: string; model: string | null },
): Promise<void> {
  for (const m of matches) {
    const d = await counter.peek(m.key, m.window);
    if (d.allowed) continue;
    const retryAfter = String(Math.max(1, toSeconds(d.resetMs)));
    throw new GatewayError(
      'spendLimited',
      `rule '${m.name}' (cost limit ${m.window.limit} per ${m.window.windowMs / 1000}s, ${m.window.technique}) for ${what.provider} ${what.model ?? '(no model)'}`,
      { 'retry-after': retryAfter },
    );
  }
}

/** After the response: the request's cost, in every budget it fell under. */
export async function recordSpend(counter: LimitCounter, matches: SpendMatch[], cost: number): Promise<void> {
  await Promise.all(matches.map((m) => counter.add(m.key, m.window, cost)));
}

/**
 * Why a request under spend rules was not charged, for the process log: a budget that silently
 * misses a model (one the price table lacks, a fine-tune) is worse than one that says so.
 */
export function unchargedReason(
  matches: SpendMatch[],
  what: { gateway: string; provider: string; model: string | null; priced: boolean; custom: boolean },
): string {
  const rules = matches.map((m) => `'${m.name}'`).join(', ');
  const model = (what.model ?? '(no model)').slice(0, 128);
  const why = what.custom
    ? 'its cf-aig-custom-cost is per token, and its answer carried no token counts'
    : what.priced
      ? 'its answer carried no token counts, and no cf-aig-custom-cost was sent'
      : `the price table has no price for it and no cf-aig-custom-cost was sent (add a price with pricing.file; \`gatehouse prices ${what.provider}\` lists the known models)`;
  return `spend limits: a request to ${what.provider} ${model} on gateway ${what.gateway} was not charged to rule ${rules}: ${why}`;
}
