import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.ts';
import { condition, type LogFilter } from './filters.ts';

export const BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Bucket = keyof typeof BUCKETS;
export type GroupBy = 'provider' | 'model' | 'gateway' | `metadata.${string}` | undefined;

export interface AnalyticsQuery {
  accountId: string;
  /** The gateways to count; a token limited to some gateways sees only those. */
  gateways: string[] | undefined;
  start: number;
  end: number;
  bucket: Bucket;
  groupBy: GroupBy;
  filters: LogFilter[];
}

export interface Point {
  time: string;
  requests: number;
  errors: number;
  cached: number;
  tokens_in: number;
  tokens_out: number;
  cost: number;
  latency_p50: number | null;
  latency_p90: number | null;
  latency_p99: number | null;
}

export interface Series {
  group: string | null;
  points: Point[];
}

interface Acc {
  requests: number;
  errors: number;
  cached: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  durations: number[];
}

const empty = (): Acc => ({
  requests: 0,
  errors: 0,
  cached: 0,
  tokensIn: 0,
  tokensOut: 0,
  cost: 0,
  durations: [],
});

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * Time series of requests, errors, cached requests, tokens, cost and latency percentiles over
 * `[start, end)`, in minute, hour or day buckets, per provider, model, gateway or metadata value.
 * One indexed range scan reads the few columns it needs; sums and exact percentiles are made in
 * one pass here, so the same code serves SQLite and Postgres. Every bucket of the range is present
 * (zeros where nothing happened), so charts need no gap filling.
 */
export async function analytics(db: Kysely<Database>, q: AnalyticsQuery): Promise<Series[]> {
  const size = BUCKETS[q.bucket];
  let query = db
    .selectFrom('logs')
    .select([
      'created_at',
      'provider',
      'model',
      'gateway_id',
      'success',
      'cached',
      'tokens_in',
      'tokens_out',
      'cost',
      'duration',
    ])
    .where('account_id', '=', q.accountId)
    .where('created_at', '>=', q.start)
    .where('created_at', '<', q.end);
  if (q.gateways) query = query.where('gateway_id', 'in', q.gateways.length > 0 ? q.gateways : ['']);
  if (q.groupBy?.startsWith('metadata.')) query = query.select(sql<string | null>`metadata`.as('metadata'));
  for (const f of q.filters) query = query.where((eb) => condition(eb, f));
  const rows = (await query.execute()) as Array<Record<string, unknown>>;

  const firstBucket = Math.floor(q.start / size) * size;
  const buckets = Math.max(1, Math.ceil((q.end - firstBucket) / size));
  const series = new Map<string | null, Acc[]>();
  const groupOf = (r: Record<string, unknown>): string | null => {
    if (!q.groupBy) return null;
    if (q.groupBy === 'gateway') return r['gateway_id'] as string;
    if (q.groupBy === 'provider' || q.groupBy === 'model') return (r[q.groupBy] as string | null) ?? null;
    const meta = r['metadata'] as string | null;
    if (!meta) return null;
    try {
      const v = (JSON.parse(meta) as Record<string, unknown>)[q.groupBy.slice('metadata.'.length)];
      return v === undefined ? null : String(v);
    } catch {
      return null;
    }
  };
  for (const r of rows) {
    const group = groupOf(r);
    let accs = series.get(group);
    if (!accs) {
      accs = Array.from({ length: buckets }, empty);
      series.set(group, accs);
    }
    const a = accs[Math.floor((Number(r['created_at']) - firstBucket) / size)]!;
    a.requests++;
    if (Number(r['success']) !== 1) a.errors++;
    if (Number(r['cached']) === 1) a.cached++;
    a.tokensIn += Number(r['tokens_in'] ?? 0);
    a.tokensOut += Number(r['tokens_out'] ?? 0);
    a.cost += Number(r['cost'] ?? 0);
    a.durations.push(Number(r['duration']));
  }
  if (series.size === 0 && !q.groupBy) series.set(null, Array.from({ length: buckets }, empty));
  return [...series.entries()]
    .sort(([, a], [, b]) => total(b) - total(a))
    .map(([group, accs]) => ({
      group,
      points: accs.map((a, i) => {
        const sorted = a.durations.sort((x, y) => x - y);
        return {
          time: new Date(firstBucket + i * size).toISOString(),
          requests: a.requests,
          errors: a.errors,
          cached: a.cached,
          tokens_in: a.tokensIn,
          tokens_out: a.tokensOut,
          cost: a.cost,
          latency_p50: percentile(sorted, 0.5),
          latency_p90: percentile(sorted, 0.9),
          latency_p99: percentile(sorted, 0.99),
        };
      }),
    }));
}

const total = (accs: Acc[]) => accs.reduce((n, a) => n + a.requests, 0);
