import type { LogRowRead } from '../logs/queries.ts';
import { ApiError, pagination } from './envelope.ts';
import { findGateway } from './gateways.ts';
import { requirePermission } from './request.ts';
import type { Route } from './router.ts';

/** The log object of SPEC.md §8 (metadata stays a JSON-encoded string, as the SDK types it). */
export function logResult(r: LogRowRead) {
  return {
    id: r.id,
    created_at: new Date(Number(r.created_at)).toISOString(),
    provider: r.provider,
    model: r.model,
    path: r.path,
    method: r.method,
    status_code: r.status_code,
    success: r.success === 1,
    cached: r.cached === 1,
    duration: r.duration,
    tokens_in: r.tokens_in,
    tokens_out: r.tokens_out,
    event_id: r.event_id,
    request_id: r.request_id,
    metadata: r.metadata,
    request_type: r.request_type,
    step: r.step,
    attempt: r.attempt,
    cost: r.cost,
    custom_cost: r.custom_cost === 1,
    error: r.error,
  };
}

export const logRoutes: Route[] = [
  {
    method: 'GET',
    path: '/gateways/:gateway/logs',
    async handle({ app, principal, accountId, params, query }) {
      const id = params['gateway']!;
      requirePermission(principal, 'read', id);
      findGateway(app, accountId, id);
      const { page, perPage } = pagination(query, 1000);
      const { rows, total } = await app.logQueries.list(accountId, id, page, perPage);
      return {
        result: rows.map(logResult),
        resultInfo: { page, per_page: perPage, count: rows.length, total_count: total },
      };
    },
  },
  {
    method: 'GET',
    path: '/gateways/:gateway/logs/:log',
    async handle({ app, principal, accountId, params }) {
      const id = params['gateway']!;
      requirePermission(principal, 'read', id);
      findGateway(app, accountId, id);
      const row = await app.logQueries.get(accountId, id, params['log']!);
      if (!row) throw new ApiError(404, 7002, `Log "${params['log']}" not found in gateway "${id}"`);
      return { result: logResult(row) };
    },
  },
];
