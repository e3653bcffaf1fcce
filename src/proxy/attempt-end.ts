import { cacheSavings, computeCost } from '../costs/compute.ts';
import { chargeRuleTokens } from '../limits/rule-limits.ts';
import { recordSpend, unchargedReason } from '../limits/spend-limit.ts';
import { UNKNOWN_PROVIDER } from '../metrics/gateway-metrics.ts';
import { requestSpan } from '../otel/request-span.ts';
import type { AppContext } from '../server/context.ts';
import type { Exchange } from './exchange.ts';
import { keepsPayload, recordLog } from './log-record.ts';

/**
 * The end of one attempt: its cost (price table, custom cost, 0 for a hit, which also records what
 * the hit saved), charged to the spend rules the request falls under, and its log row. Both off
 * the response path.
 */
export function endAttempt(app: AppContext, ex: Exchange): void {
  if (ex.ended) return;
  ex.ended = true;
  ex.finish();
  const provider = ex.provider?.slug;
  const model = ex.model();
  const price = provider ? app.prices.lookup(provider, model) : undefined;
  ex.cost = computeCost({
    usage: ex.facts?.usage,
    price,
    cached: ex.cached,
    custom: ex.options.customCost,
  });
  if (ex.cached) ex.cost.saved = cacheSavings(ex.facts?.usage, price);
  const usage = ex.facts?.usage;
  const tokens = (usage?.tokensIn ?? 0) + (usage?.tokensOut ?? 0);
  if (ex.rules && ex.rules.length > 0 && tokens > 0 && !ex.cached) {
    chargeRuleTokens(app.limits, ex.rules, tokens).catch((err: unknown) => {
      app.log('warn', `charging tokens to rate limits: ${(err as Error).message}`);
    });
  }
  if (ex.spend && ex.spend.length > 0) {
    if (ex.cost.cost) {
      recordSpend(app.limits, ex.spend, ex.cost.cost).catch((err: unknown) => {
        app.log('warn', `recording spend: ${(err as Error).message}`);
      });
    } else if (ex.cost.cost === null && ex.succeeded && provider) {
      const custom = ex.options.customCost !== undefined;
      const what = { gateway: ex.gateway!.id, provider, model, priced: price !== undefined, custom };
      app.metrics.uncharged(ex.gateway!.id);
      app.unchargedSpend(unchargedReason(ex.spend, what));
    }
  }
  if (ex.gateway) {
    const totalMs = performance.now() - ex.startedAt;
    app.metrics.record({
      gateway: ex.gateway.id,
      provider: provider ?? UNKNOWN_PROVIDER,
      model: model ?? '',
      status: ex.status,
      success: ex.succeeded,
      cached: ex.cached,
      tokensIn: usage?.tokensIn ?? 0,
      tokensOut: usage?.tokensOut ?? 0,
      cost: ex.cost.cost ?? 0,
      upstreamSeconds: ex.upstreamMs / 1000,
      overheadSeconds: Math.max(0, totalMs - ex.upstreamMs) / 1000,
      firstByteSeconds: ex.upstreamFirstByteMs === null ? null : ex.upstreamFirstByteMs / 1000,
      stream: ex.upstreamStreamed,
    });
  }
  const otel = ex.gateway?.settings.otel;
  if (otel && otel.length > 0) app.otel.export(otel, requestSpan(ex, keepsPayload(ex)));
  recordLog(app, ex);
}
