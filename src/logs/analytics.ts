import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.ts';
import { yieldToRequests } from '../util/yield-to-requests.ts';
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
  /** Also the percentiles of the provider's first byte (`upstream_first_byte`), from a second histogram. */
  firstByte?: boolean;
}

export interface Point {
  time: string;
  requests: number;
  errors: number;
  cached: number;
  tokens_in: number;
  tokens_out: number;
  cost: number;
  /** What the bucket's cache hits would have cost without the cache (price table, US dollars). */
  saved_cost: number;
  latency_p50: number | null;
  latency_p90: number | null;
  latency_p99: number | null;
  /**
   * Asked for with `first_byte`: percentiles of the time to the provider's first byte (a
   * stream's first event), over the requests that reached one: not cache hits, not calls that
   * failed before an answer began. Null where the bucket has none.
   */
  first_byte_p50?: number | null;
  first_byte_p90?: number | null;
  first_byte_p99?: number | null;
}

/**
 * Points in one answer, every series together. Past it the groups with the fewest requests are
 * summed into one series, so a group_by over values clients choose (a metadata key, a model)
 * cannot make an answer of groups × buckets points: 500 users by the minute over a week took
 * 23 s and 1.8 GB of the gateway's memory before failing.
 */
export const MAX_ANSWER_POINTS = 100_000;

/**
 * Buckets summed per query. The database answers one row per bucket, group and latency step:
 * a week by the minute of a million logs was ~1 million rows in one answer, past the heap of the
 * SQLite writer thread (256 MB) that runs the query. The thread died with the request's 500, and
 * later queries ran on the request thread, holding every request for seconds. A slice at a time,
 * an answer holds at most this many buckets' rows, and this thread sums each between other work.
 */
const BUCKETS_PER_QUERY = 60;
/** Points summarised between two turns of the event loop. */
const POINTS_PER_TURN = 1_000;
/** The group of the series that sums the others. */
export const OTHER_GROUPS = '(other)';

export interface Series {
  group: string | null;
  /** On the `(other)` series only: how many groups it sums. */
  others?: number;
  points: Point[];
  /**
   * The whole range at once: the sums of the points, and latency percentiles over every request
   * of the range (which the points' own percentiles cannot be combined into).
   */
  totals: Omit<Point, 'time'>;
}

interface Acc {
  requests: number;
  errors: number;
  cached: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  savedCost: number;
  /** [latency, count] pairs: latencies come as a histogram. */
  bins: Array<[number, number]>;
  /** The same for the provider's first byte, when asked for. */
  firstByteBins: Array<[number, number]>;
}

const empty = (): Acc => ({
  requests: 0,
  errors: 0,
  cached: 0,
  tokensIn: 0,
  tokensOut: 0,
  cost: 0,
  savedCost: 0,
  bins: [],
  firstByteBins: [],
});

/** p50, p90 and p99 by nearest rank over [latency, count] pairs sorted by latency, in one pass. */
function percentiles(steps: Array<[number, number]>): [number | null, number | null, number | null] {
  let total = 0;
  for (const [, c] of steps) total += c;
  if (total === 0) return [null, null, null];
  const ranks = [0.5, 0.9, 0.99].map((p) => Math.max(1, Math.ceil(p * total)));
  const out: [number | null, number | null, number | null] = [null, null, null];
  let seen = 0;
  let next = 0;
  for (const [v, c] of steps) {
    seen += c;
    while (next < 3 && seen >= ranks[next]!) out[next++] = v;
    if (next === 3) break;
  }
  return out;
}

/**
 * A time column's histogram step (1 ms below 100 ms, 10 ms below 1 s, 100 ms below 10 s, 1 s
 * beyond), so percentiles read from the histogram are within one step of the exact value.
 */
function steps(column: 'duration' | 'upstream_first_byte') {
  const c = sql.ref(column);
  return sql<number>`case when ${c} < 100 then ${c} when ${c} < 1000 then ${c} / 10 * 10 when ${c} < 10000 then ${c} / 100 * 100 else ${c} / 1000 * 1000 end`;
}

/** Pairs past which equal latencies are added up before sorting: totals gather every point's. */
const SORT_AS_IS = 64;

/**
 * The histogram's [latency, count] pairs sorted by latency. A point's come from the database one
 * per step; an `(other)` point gathers its groups', several per step, which are added up by step
 * first, so sorting takes the few hundred steps there are at most.
 */
function sortedSteps(bins: Array<[number, number]>): Array<[number, number]> {
  if (bins.length <= SORT_AS_IS) return bins.sort((x, y) => x[0] - y[0]);
  const byStep = new Map<number, number>();
  for (const [v, c] of bins) byStep.set(v, (byStep.get(v) ?? 0) + c);
  return [...byStep].sort((x, y) => x[0] - y[0]);
}

/**
 * A metadata key's value in each row, as text: what `String()` makes of the JSON value (`"a"` is
 * a, `3` is 3, `true` is true), null where the key is absent. Computed by the database, so that
 * grouping by it is one aggregate like any other group: reading every row's metadata into this
 * process took ~700 MB and 10 s for a week of a million rows. The key may not hold `"` or `\`,
 * which SQLite's JSON path cannot name (the API refuses them). Postgres reads the text as `json`,
 * not `jsonb`, so a number keeps the form it was written in.
 */
export function metadataValue(key: string, dialect: 'sqlite' | 'postgres') {
  if (dialect === 'postgres')
    return sql<
      string | null
    >`case json_typeof(metadata::json -> ${key}) when 'string' then metadata::json ->> ${key} else (metadata::json -> ${key})::text end`;
  const path = `$."${key}"`;
  return sql<
    string | null
  >`case json_type(metadata, ${path}) when 'text' then json_extract(metadata, ${path}) else metadata -> ${path} end`;
}

/**
 * Time series of requests, errors, cached requests, tokens, cost, cache savings and latency
 * percentiles over `[start, end)`, in minute, hour or day buckets, per provider, model, gateway or
 * metadata value.
 * The database sums per bucket and group and returns latencies as a histogram, so the same code
 * serves SQLite and Postgres. Every bucket of the range is present
 * (zeros where nothing happened), so charts need no gap filling.
 */
export async function analytics(
  db: Kysely<Database>,
  q: AnalyticsQuery,
  opts: { dialect?: 'sqlite' | 'postgres' } = {},
): Promise<Series[]> {
  const size = BUCKETS[q.bucket];
  const firstBucket = Math.floor(q.start / size) * size;
  const buckets = Math.max(1, Math.ceil((q.end - firstBucket) / size));
  const base = (on: Kysely<Database>, from: number, to: number) => {
    let query = on
      .selectFrom('logs')
      .where('account_id', '=', q.accountId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to);
    if (q.gateways) query = query.where('gateway_id', 'in', q.gateways.length > 0 ? q.gateways : ['']);
    for (const f of q.filters) query = query.where((eb) => condition(eb, f, opts.dialect ?? 'sqlite'));
    return query;
  };
  // Integer division on both databases: bound numbers arrive as doubles unless cast.
  const bucketExpr = sql<number>`(created_at - cast(${firstBucket} as bigint)) / cast(${size} as bigint)`;
  // The database sums per bucket, group and latency step (see `steps`): percentiles come from a histogram.
  const groupExpr = q.groupBy?.startsWith('metadata.')
    ? metadataValue(q.groupBy.slice('metadata.'.length), opts.dialect ?? 'sqlite')
    : q.groupBy
      ? sql<string | null>`${sql.ref(q.groupBy === 'gateway' ? 'gateway_id' : q.groupBy)}`
      : sql<string | null>`null`;
  const bin = steps('duration');
  const sums = (on: Kysely<Database>, from: number, to: number) =>
    base(on, from, to)
      .select([
        bucketExpr.as('b'),
        groupExpr.as('g'),
        bin.as('d'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`sum(case when success = 1 then 0 else 1 end)`.as('errors'),
        sql<number>`sum(cached)`.as('cached'),
        sql<number>`coalesce(sum(tokens_in), 0)`.as('tokens_in'),
        sql<number>`coalesce(sum(tokens_out), 0)`.as('tokens_out'),
        sql<number>`coalesce(sum(cost), 0)`.as('cost'),
        sql<number>`coalesce(sum(saved_cost), 0)`.as('saved_cost'),
        sql<number>`0`.as('first_byte'),
      ])
      .groupBy([sql`1`, sql`2`, sql`3`]);
  // The first byte's histogram is a second scan of the same rows, in the same statement so both
  // see the same rows (logs keep arriving): grouped in one scan with the latency's, the groups
  // would multiply by the steps of both. Its rows carry only the count, in `requests`.
  const firstBytes = (on: Kysely<Database>, from: number, to: number) =>
    base(on, from, to)
      .where('upstream_first_byte', 'is not', null)
      .select([
        bucketExpr.as('b'),
        groupExpr.as('g'),
        steps('upstream_first_byte').as('d'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`0`.as('errors'),
        sql<number>`0`.as('cached'),
        sql<number>`0`.as('tokens_in'),
        sql<number>`0`.as('tokens_out'),
        sql<number>`0`.as('cost'),
        sql<number>`0`.as('saved_cost'),
        sql<number>`1`.as('first_byte'),
      ])
      .groupBy([sql`1`, sql`2`, sql`3`]);
  const aggregate = (on: Kysely<Database>, from: number, to: number) =>
    (q.firstByte ? sums(on, from, to).unionAll(firstBytes(on, from, to)) : sums(on, from, to)).execute();
  // Postgres cannot tell how few groups these expressions make (~12 000 for a day of a million
  // rows), plans for about one per row, and sorts them all, spilling to disk at the default
  // work_mem. Room for a hash table (which Postgres spills itself past that) halves the time.
  const slice = (from: number, to: number) =>
    opts.dialect === 'postgres'
      ? db.transaction().execute(async (tx) => {
          await sql`SET LOCAL work_mem = '64MB'`.execute(tx);
          return aggregate(tx, from, to);
        })
      : aggregate(db, from, to);

  // Each group's buckets as the slices come in, only those with requests.
  const sparse = new Map<string | null, Map<number, Acc>>();
  const requestsBy = new Map<string | null, number>();
  for (let first = 0; first < buckets; first += BUCKETS_PER_QUERY) {
    const from = Math.max(q.start, firstBucket + first * size);
    const to = Math.min(q.end, firstBucket + (first + BUCKETS_PER_QUERY) * size);
    for (const r of await slice(from, to)) {
      const group = r.g ?? null;
      const bucket = Math.min(buckets - 1, Math.max(0, Math.floor(Number(r.b))));
      let byBucket = sparse.get(group);
      if (!byBucket) {
        byBucket = new Map();
        sparse.set(group, byBucket);
      }
      let a = byBucket.get(bucket);
      if (!a) {
        a = empty();
        byBucket.set(bucket, a);
      }
      if (Number(r.first_byte) === 1) {
        a.firstByteBins.push([Number(r.d), Number(r.requests)]);
        continue;
      }
      a.requests += Number(r.requests);
      a.errors += Number(r.errors);
      a.cached += Number(r.cached);
      a.tokensIn += Number(r.tokens_in);
      a.tokensOut += Number(r.tokens_out);
      a.cost += Number(r.cost);
      a.savedCost += Number(r.saved_cost);
      a.bins.push([Number(r.d), Number(r.requests)]);
      requestsBy.set(group, (requestsBy.get(group) ?? 0) + Number(r.requests));
    }
  }

  const dense = (byBucket: Map<number, Acc> | undefined) =>
    Array.from({ length: buckets }, (_, i) => byBucket?.get(i) ?? empty());
  /** Set when some groups are summed into the `(other)` series: those kept apart, and the sums. */
  let summed: { kept: Set<string | null>; accs: Acc[]; groups: number } | undefined;
  if (requestsBy.size * buckets > MAX_ANSWER_POINTS) {
    const room = Math.max(1, Math.floor(MAX_ANSWER_POINTS / buckets) - 1);
    const kept = new Set(
      [...requestsBy.entries()]
        .sort(([ga, a], [gb, b]) => b - a || String(ga).localeCompare(String(gb)))
        .slice(0, room)
        .map(([g]) => g),
    );
    summed = { kept, accs: dense(undefined), groups: requestsBy.size - kept.size };
  }
  const series = new Map<string | null, Acc[]>();
  for (const [group, byBucket] of sparse) {
    if (!summed || summed.kept.has(group)) series.set(group, dense(byBucket));
    else for (const [bucket, a] of byBucket) addInto(summed.accs[bucket]!, a);
  }
  if (series.size === 0 && !q.groupBy) series.set(null, dense(undefined));
  // A slice of points at a time, like the database's answers: a week by the minute held every
  // request for 0.2 s per 300 000 logs. The totals are summed on the way.
  const answer = async (group: string | null, accs: Acc[]): Promise<Series> => {
    const points: Point[] = [];
    const all = empty();
    const byStep = new Map<number, number>();
    const firstByteByStep = new Map<number, number>();
    for (const [i, a] of accs.entries()) {
      if (i > 0 && i % POINTS_PER_TURN === 0) await yieldToRequests();
      points.push({ time: new Date(firstBucket + i * size).toISOString(), ...summary(a, q.firstByte) });
      addSums(all, a);
      for (const [v, c] of a.bins) byStep.set(v, (byStep.get(v) ?? 0) + c);
      for (const [v, c] of a.firstByteBins) firstByteByStep.set(v, (firstByteByStep.get(v) ?? 0) + c);
    }
    all.bins = [...byStep];
    all.firstByteBins = [...firstByteByStep];
    return { group, points, totals: summary(all, q.firstByte) };
  };
  const result: Series[] = [];
  const ordered = [...series.entries()].sort(
    ([ga, a], [gb, b]) => total(b) - total(a) || String(ga).localeCompare(String(gb)),
  );
  for (const [group, accs] of ordered) result.push(await answer(group, accs));
  if (summed) result.push({ ...(await answer(OTHER_GROUPS, summed.accs)), others: summed.groups });
  return result;
}

function addSums(all: Acc, a: Acc): void {
  all.requests += a.requests;
  all.errors += a.errors;
  all.cached += a.cached;
  all.tokensIn += a.tokensIn;
  all.tokensOut += a.tokensOut;
  all.cost += a.cost;
  all.savedCost += a.savedCost;
}

function addInto(all: Acc, a: Acc): void {
  addSums(all, a);
  for (const b of a.bins) all.bins.push(b);
  for (const b of a.firstByteBins) all.firstByteBins.push(b);
}

function summary(a: Acc, firstByte: boolean | undefined): Omit<Point, 'time'> {
  const [p50, p90, p99] = percentiles(sortedSteps(a.bins));
  const point: Omit<Point, 'time'> = {
    requests: a.requests,
    errors: a.errors,
    cached: a.cached,
    tokens_in: a.tokensIn,
    tokens_out: a.tokensOut,
    cost: a.cost,
    saved_cost: a.savedCost,
    latency_p50: p50,
    latency_p90: p90,
    latency_p99: p99,
  };
  if (firstByte) {
    const [f50, f90, f99] = percentiles(sortedSteps(a.firstByteBins));
    point.first_byte_p50 = f50;
    point.first_byte_p90 = f90;
    point.first_byte_p99 = f99;
  }
  return point;
}

const total = (accs: Acc[]) => accs.reduce((n, a) => n + a.requests, 0);
