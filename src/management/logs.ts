import { z } from 'zod';
import { FilterError, filtersFromQuery, matchesAll } from '../logs/filters.ts';
import { FLAT_PARAMS, flatFilters } from '../logs/flat-params.ts';
import { type LogQuery, type LogRowRead, ORDER_BY, type OrderBy } from '../logs/queries.ts';
import { ApiError, pagination } from './envelope.ts';
import { gatewayInPath } from './gateways.ts';
import { readJson, validate } from './request.ts';
import type { Route, RouteContext } from './router.ts';

/** The log object of SPEC.md §8 (metadata stays a JSON-encoded string, as the SDK types it). */
export function logResult(r: LogRowRead) {
  return {
    id: r.id,
    created_at: new Date(Number(r.created_at)).toISOString(),
    provider: r.provider,
    model: r.model,
    model_type: r.model_type,
    path: r.path,
    method: r.method,
    status_code: r.status_code,
    success: r.success === 1,
    cached: r.cached === 1,
    cache_key: r.cache_key ?? null,
    duration: r.duration,
    upstream_duration: r.upstream_duration ?? null,
    upstream_first_byte: r.upstream_first_byte ?? null,
    tokens_in: r.tokens_in,
    tokens_out: r.tokens_out,
    cost: r.cost,
    custom_cost: r.custom_cost === 1,
    event_id: r.event_id,
    request_id: r.request_id,
    metadata: r.metadata,
    request_type: r.request_type,
    request_content_type: r.request_content_type,
    response_content_type: r.response_content_type,
    step: r.step,
    attempt: r.attempt,
    feedback: r.feedback ?? 0,
    score: r.score,
    error: r.error,
  };
}

/** Get-one adds the heads and sizes (SPEC §8). */
function logDetail(r: LogRowRead) {
  return {
    ...logResult(r),
    request_head: r.request_head,
    request_head_complete: true,
    request_size: r.request_size,
    response_head: r.response_head,
    response_head_complete: r.response_head !== null,
    response_size: r.response_size,
    user_agent: r.user_agent,
    authentication: r.authentication === 1,
    compatibilityMode: r.compat === 1,
    wholesale: false,
  };
}

/** `order_by`, `order_by_direction` (or the older `direction`), `search` and `filters` of a request. */
function logQuery(query: URLSearchParams, orderByDefault: OrderBy = 'created_at'): LogQuery {
  const orderBy = (query.get('order_by') ?? orderByDefault) as OrderBy;
  if (!(ORDER_BY as readonly string[]).includes(orderBy)) {
    throw new ApiError(400, 7001, `order_by must be one of ${ORDER_BY.join(', ')}`);
  }
  const direction = (query.get('order_by_direction') ?? query.get('direction') ?? 'desc').toLowerCase();
  if (direction !== 'asc' && direction !== 'desc') {
    throw new ApiError(400, 7001, 'order_by_direction must be asc or desc');
  }
  let filters: LogQuery['filters'];
  try {
    filters = [...filtersFromQuery(query), ...flatFilters(query)];
  } catch (err) {
    if (err instanceof FilterError) throw new ApiError(400, 7001, err.message, ['filters']);
    throw err;
  }
  return { filters, search: query.get('search') ?? undefined, orderBy, direction };
}

const DELETE_PARAMS = new Set([
  'filters',
  'limit',
  'order_by',
  'order_by_direction',
  'direction',
  'search',
  ...FLAT_PARAMS,
]);

/**
 * A DELETE with no filter removes every log of the gateway, so a parameter it does not know (a
 * typo, or a filter from another API) is refused rather than ignored.
 */
function refuseUnknownParams(query: URLSearchParams): void {
  for (const name of query.keys()) {
    if (DELETE_PARAMS.has(name) || /^filters[.[]/.test(name)) continue;
    throw new ApiError(
      400,
      7001,
      `DELETE /logs does not take "${name.slice(0, 64)}"; it takes filters, limit, order_by, order_by_direction, search and the list's flat filters (${FLAT_PARAMS.join(', ')})`,
    );
  }
}

function gatewayOf(ctx: RouteContext, permission: 'read' | 'edit'): string {
  return gatewayInPath(ctx, permission).id;
}

function notFound(log: string, gateway: string): ApiError {
  return new ApiError(404, 7002, `Log "${log}" not found in gateway "${gateway}"`);
}

const metadataValue = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, number or boolean (metadata is one flat object)',
});
const patchSchema = z
  .object({
    // The Workers binding's types allow "-1" and "1" as strings too.
    feedback: z
      .union([z.literal(-1), z.literal(0), z.literal(1), z.literal('-1'), z.literal('0'), z.literal('1')], {
        error: 'must be -1 (thumbs down), 1 (thumbs up), or 0 or null (none)',
      })
      .transform(Number)
      .nullable()
      .optional(),
    score: z.number().int().min(0).max(100).nullable().optional(),
    metadata: z
      .record(z.string(), metadataValue)
      .refine((m) => Object.keys(m).length <= 5, 'at most 5 entries')
      .nullable()
      .optional(),
  })
  .strict();

async function bodyRoute(ctx: RouteContext, which: 'request' | 'response') {
  const gateway = gatewayOf(ctx, 'read');
  const log = ctx.params['log']!;
  if (!(await ctx.app.logQueries.get(ctx.accountId, gateway, log))) throw notFound(log, gateway);
  const stored = await ctx.app.logQueries.body(ctx.accountId, gateway, log, which);
  if (!stored) {
    throw new ApiError(
      404,
      7002,
      `Log "${log}" has no stored ${which} body (payload collection was off, or it was empty)`,
    );
  }
  const text = stored.body.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Streams and non-JSON bodies come back as text.
  }
  return { result: parsed };
}

export const logRoutes: Route[] = [
  {
    method: 'GET',
    path: '/gateways/:gateway/logs',
    async handle(ctx) {
      const id = gatewayOf(ctx, 'read');
      const { page, perPage } = pagination(ctx.query, 1000);
      const metaInfo = ctx.query.get('meta_info');
      if (metaInfo !== null && metaInfo !== 'true' && metaInfo !== 'false') {
        throw new ApiError(400, 7001, `meta_info must be true or false; got "${metaInfo.slice(0, 40)}"`);
      }
      const q = logQuery(ctx.query);
      const [{ rows, total }, ranges] = await Promise.all([
        ctx.app.logQueries.list(ctx.accountId, id, q, page, perPage),
        metaInfo === 'true' ? ctx.app.logQueries.ranges(ctx.accountId, id, q) : undefined,
      ]);
      return {
        result: rows.map(logResult),
        resultInfo: { page, per_page: perPage, count: rows.length, total_count: total, ...ranges },
      };
    },
  },
  {
    // The live tail: new log entries as they are written, as server-sent events, filtered.
    method: 'GET',
    path: '/gateways/:gateway/logs/tail',
    async handle(ctx) {
      gatewayOf(ctx, 'read');
      logQuery(ctx.query); // validates the filters before the stream opens
      return { result: null };
    },
    stream(ctx, res) {
      const gateway = ctx.params['gateway']!;
      const { filters } = logQuery(ctx.query);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      res.write(': tailing logs\n\n');
      const limit = ctx.app.config.logs.tailBufferBytes;
      const listener = (rows: readonly LogRowRead[]) => {
        for (const row of rows) {
          if (!matchesAll(row as Record<string, unknown>, filters)) continue;
          res.write(`event: log\ndata: ${JSON.stringify(logResult(row))}\n\n`);
          // A client that stops reading would otherwise hold every entry since in our memory.
          if (res.writableLength > limit) {
            ctx.app.log(
              'warn',
              `log tail of gateway ${gateway}: the client is ${res.writableLength} bytes behind (logs.tail_buffer_bytes is ${limit}); closing its stream`,
            );
            unsubscribe();
            res.destroy();
            return;
          }
        }
      };
      const unsubscribe = ctx.app.tail.subscribe(ctx.accountId, gateway, listener, () => res.end());
      // Said once the listener is attached, so a client knows from here on no entry is missed
      // (EventSource's onmessage ignores named events; the CLI reads only `log`).
      res.write(`event: ready\ndata: ${JSON.stringify({ ready: true, gateway })}\n\n`);
      // A comment now and then keeps proxies from closing an idle stream.
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      res.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
    },
  },
  {
    method: 'DELETE',
    path: '/gateways/:gateway/logs',
    async handle(ctx) {
      const id = gatewayOf(ctx, 'edit');
      refuseUnknownParams(ctx.query);
      const q = logQuery(ctx.query);
      const limitText = ctx.query.get('limit');
      const limit = limitText === null ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new ApiError(400, 7001, 'limit must be a positive integer');
      }
      const deleted = await ctx.app.logQueries.delete(ctx.accountId, id, q, limit);
      return { result: { deleted } };
    },
  },
  {
    method: 'GET',
    path: '/gateways/:gateway/logs/:log',
    async handle(ctx) {
      const id = gatewayOf(ctx, 'read');
      const row = await ctx.app.logQueries.get(ctx.accountId, id, ctx.params['log']!);
      if (!row) throw notFound(ctx.params['log']!, id);
      return { result: logDetail(row) };
    },
  },
  {
    method: 'PATCH',
    path: '/gateways/:gateway/logs/:log',
    async handle(ctx) {
      const id = gatewayOf(ctx, 'edit');
      const b = validate(patchSchema, await readJson(ctx.req));
      const change: { feedback?: number | null; score?: number | null; metadata?: string | null } = {};
      if (b.feedback !== undefined) change.feedback = b.feedback === 0 ? null : b.feedback;
      if (b.score !== undefined) change.score = b.score;
      if (b.metadata !== undefined) change.metadata = b.metadata === null ? null : JSON.stringify(b.metadata);
      // The writer may still hold the row: store what is queued first, so a fresh log can be patched.
      await ctx.app.logs.flush();
      if (!(await ctx.app.logQueries.patch(ctx.accountId, id, ctx.params['log']!, change))) {
        throw notFound(ctx.params['log']!, id);
      }
      const row = await ctx.app.logQueries.get(ctx.accountId, id, ctx.params['log']!);
      return { result: logDetail(row!) };
    },
  },
  {
    method: 'GET',
    path: '/gateways/:gateway/logs/:log/request',
    handle: (ctx) => bodyRoute(ctx, 'request'),
  },
  {
    method: 'GET',
    path: '/gateways/:gateway/logs/:log/response',
    handle: (ctx) => bodyRoute(ctx, 'response'),
  },
];
