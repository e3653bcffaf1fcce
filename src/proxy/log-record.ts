import type { AppContext } from '../server/context.ts';
import type { Exchange } from './exchange.ts';

/** Whether this request is logged: the gateway's `collect_logs`, overridden by `cf-aig-collect-log`. */
function shouldLog(ex: Exchange): boolean {
  if (!ex.gateway) return false;
  return ex.options.collectLog ?? ex.gateway.settings.collect_logs;
}

/** Queues the log row; the writer stores it in a later batch, never on the response path. */
export function recordLog(app: AppContext, ex: Exchange): void {
  if (ex.logged || !shouldLog(ex)) return;
  const usage = ex.facts?.usage;
  app.logs.enqueue({
    id: ex.logId,
    account_id: ex.route.accountId,
    gateway_id: ex.gateway!.id,
    created_at: ex.createdAt,
    provider: ex.provider?.slug ?? ex.route.provider ?? '',
    model: ex.model(),
    path: ex.route.path,
    method: ex.method,
    status_code: ex.status,
    success: ex.succeeded ? 1 : 0,
    cached: ex.cached ? 1 : 0,
    duration: ex.durationMs,
    tokens_in: usage?.tokensIn ?? null,
    tokens_out: usage?.tokensOut ?? null,
    event_id: ex.eventId,
    request_id: ex.requestId,
    metadata: ex.options.metadata ? JSON.stringify(ex.options.metadata) : null,
    step: ex.step,
    attempt: ex.attempt,
    cost: ex.cost?.cost ?? null,
    custom_cost: ex.cost?.custom ? 1 : 0,
    request_type: 'provider',
    error: ex.error ?? ex.facts?.error ?? null,
  });
}
