import { BUCKETS, type Bucket, type GroupBy } from '../logs/analytics.ts';
import { FilterError, filtersFromQuery } from '../logs/filters.ts';
import { allows } from '../tokens/registry.ts';
import { own } from '../util/own.ts';
import { ApiError } from './envelope.ts';
import { requirePermission } from './request.ts';
import type { Route } from './router.ts';

const MAX_POINTS = 10_000;

function time(query: URLSearchParams, name: string, fallback: number): number {
  const v = query.get(name);
  if (v === null) return fallback;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new ApiError(
      400,
      7001,
      `${name} must be an ISO time or unix milliseconds; got "${v.slice(0, 40)}"`,
    );
  return t;
}

/**
 * `GET /analytics`: time series over the account's logs, for charts (SPEC §8's analytics:
 * requests, errors, cached requests, tokens, cost, what the cache saved, latency). `start` / `end`
 * (ISO or unix ms; default the last 24 hours), `bucket` (minute, hour, day), `group_by` (provider,
 * model, gateway, metadata.<key>), `gateway` (repeatable; default all the caller may read), the
 * logs API's `filters`, and `first_byte=true` for the provider's first-byte percentiles too.
 */
export const analyticsRoutes: Route[] = [
  {
    method: 'GET',
    path: '/analytics',
    async handle({ app, principal, accountId, query }) {
      requirePermission(principal, 'read');
      const now = Date.now();
      const end = time(query, 'end', now);
      const start = time(query, 'start', end - BUCKETS.day);
      if (start >= end) throw new ApiError(400, 7001, 'start must be before end');
      const bucket = (query.get('bucket') ?? 'hour') as Bucket;
      if (own(BUCKETS, bucket) === undefined)
        throw new ApiError(400, 7001, 'bucket must be minute, hour or day');
      if ((end - start) / BUCKETS[bucket] > MAX_POINTS) {
        throw new ApiError(
          400,
          7001,
          `at most ${MAX_POINTS} ${bucket}s per query: shorten the range or use a larger bucket`,
        );
      }
      const groupBy = (query.get('group_by') ?? undefined) as GroupBy;
      if (
        groupBy &&
        !['provider', 'model', 'gateway'].includes(groupBy) &&
        !/^metadata\.[^."\\]{1,64}$/.test(groupBy)
      ) {
        throw new ApiError(
          400,
          7001,
          'group_by must be provider, model, gateway or metadata.<key>, the key 1 to 64 characters without . " or \\',
        );
      }
      const asked = query
        .getAll('gateway')
        .flatMap((g) => g.split(','))
        .filter(Boolean);
      const readable = app.gateways
        .list(accountId)
        .map((g) => g.id)
        .filter((id) => allows(principal, 'read', id));
      for (const id of asked) {
        if (!readable.includes(id)) throw new ApiError(404, 7002, `Gateway "${id}" not found`);
      }
      let filters: ReturnType<typeof filtersFromQuery>;
      try {
        filters = filtersFromQuery(query);
      } catch (err) {
        if (err instanceof FilterError) throw new ApiError(400, 7001, err.message, ['filters']);
        throw err;
      }
      const firstByte = query.get('first_byte') ?? 'false';
      if (firstByte !== 'true' && firstByte !== 'false')
        throw new ApiError(400, 7001, `first_byte must be true or false; got "${firstByte.slice(0, 40)}"`, [
          'first_byte',
        ]);
      await app.logs.flush();
      const series = await app.analytics({
        accountId,
        gateways: asked.length > 0 ? asked : readable,
        start,
        end,
        bucket,
        groupBy,
        filters,
        firstByte: firstByte === 'true',
      });
      return {
        result: {
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          bucket,
          group_by: groupBy ?? null,
          series,
        },
      };
    },
  },
];
