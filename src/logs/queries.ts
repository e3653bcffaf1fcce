import { type Kysely, type OrderByItemBuilder, type Selectable, sql } from 'kysely';
import type { Dialect } from '../db/migrations.ts';
import type { Database, LogsTable } from '../db/tables.ts';
import { condition, containsText, type LogFilter } from './filters.ts';
import { unpack } from './payload.ts';

export type LogRowRead = Selectable<LogsTable>;

export const ORDER_BY = [
  'created_at',
  'provider',
  'model',
  'model_type',
  'success',
  'cached',
  'cost',
  'tokens_in',
  'tokens_out',
  'duration',
  'upstream_duration',
  'upstream_first_byte',
  'feedback',
] as const;
export type OrderBy = (typeof ORDER_BY)[number];

export interface LogQuery {
  filters: LogFilter[];
  /** Matched against id, event id, provider, model, path and error. */
  search?: string | undefined;
  orderBy: OrderBy;
  direction: 'asc' | 'desc';
}

const RANGE_FIELDS = [
  'min_cost',
  'max_cost',
  'min_duration',
  'max_duration',
  'min_tokens_in',
  'max_tokens_in',
  'min_tokens_out',
  'max_tokens_out',
  'min_total_tokens',
  'max_total_tokens',
] as const;

/** The list's `meta_info`: bounds named like the flat filters they suit (`min_cost`, …). */
export type LogRanges = Record<(typeof RANGE_FIELDS)[number], number | null>;

/** Columns that can be null. SQLite sorts nulls first and Postgres last; here they go last either way. */
const NULLABLE_ORDER = new Set<OrderBy>([
  'model',
  'model_type',
  'cost',
  'tokens_in',
  'tokens_out',
  'upstream_duration',
  'upstream_first_byte',
  'feedback',
]);

function ordered(ob: OrderByItemBuilder, q: LogQuery): OrderByItemBuilder {
  const o = q.direction === 'asc' ? ob.asc() : ob.desc();
  return NULLABLE_ORDER.has(q.orderBy) ? o.nullsLast() : o;
}

/** Rows a DELETE removes per transaction. */
const DELETE_CHUNK = 2000;

/** Reads (and the feedback writes) of the log store for the management API. */
export class LogQueries {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, opts: { dialect: Dialect }) {
    this.#db = db;
    this.#dialect = opts.dialect;
  }

  #where(accountId: string, gatewayId: string, q: Pick<LogQuery, 'filters' | 'search'>) {
    let base = this.#db
      .selectFrom('logs')
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      // True of every row. Without statistics SQLite takes any of the five indexes that begin
      // (account_id, gateway_id) for a condition no index covers, and through one in another order
      // than the rows (the model's) each match was a random read: the first page and total of
      // `cached = true` over a million logs took 2.5 s that way and 0.7 s in time order. The
      // range makes the time-ordered index the first choice unless a filter names a narrower one.
      .where('created_at', '>=', Number.MIN_SAFE_INTEGER);
    for (const f of q.filters) base = base.where((eb) => condition(eb, f, this.#dialect));
    const search = q.search;
    if (search) {
      base = base.where((eb) =>
        eb.or(
          (['id', 'event_id', 'provider', 'model', 'path', 'error'] as const).map((c) =>
            containsText(sql.ref(c), search, this.#dialect),
          ),
        ),
      );
    }
    return base;
  }

  async list(
    accountId: string,
    gatewayId: string,
    q: LogQuery,
    page: number,
    perPage: number,
  ): Promise<{ rows: LogRowRead[]; total: number }> {
    const base = this.#where(accountId, gatewayId, q);
    const offset = (page - 1) * perPage;
    // The page is chosen by its `seq` alone and its rows read after: sorting whole rows (their
    // heads run to a kilobyte) by cost took 5.4 s over a million logs, and skipping to page 100
    // read every row before it; sorting and skipping `seq` values takes a fraction of that, and
    // in time order the index alone holds them.
    const chosen = base
      .select('seq')
      .orderBy(q.orderBy, (ob) => ordered(ob, q))
      .orderBy('seq', q.direction)
      .limit(perPage)
      .offset(offset);
    const rows = await this.#db
      .selectFrom('logs')
      .selectAll()
      .where('seq', 'in', chosen)
      .orderBy(q.orderBy, (ob) => ordered(ob, q))
      .orderBy('seq', q.direction)
      .execute();
    // A page that is not full is the last one, so it tells the total without counting: a search
    // or filter that matches a few rows of a large store then costs one scan, not two.
    if (rows.length < perPage && (rows.length > 0 || page === 1))
      return { rows, total: offset + rows.length };
    const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { rows, total: Number(count?.n ?? 0) };
  }

  /** The smallest and largest cost, duration and token counts among the logs `q` matches. */
  async ranges(accountId: string, gatewayId: string, q: LogQuery): Promise<LogRanges> {
    const total = sql<number>`coalesce(tokens_in, 0) + coalesce(tokens_out, 0)`;
    const row = await this.#where(accountId, gatewayId, q)
      .select((eb) => [
        eb.fn.min('cost').as('min_cost'),
        eb.fn.max('cost').as('max_cost'),
        eb.fn.min('duration').as('min_duration'),
        eb.fn.max('duration').as('max_duration'),
        eb.fn.min('tokens_in').as('min_tokens_in'),
        eb.fn.max('tokens_in').as('max_tokens_in'),
        eb.fn.min('tokens_out').as('min_tokens_out'),
        eb.fn.max('tokens_out').as('max_tokens_out'),
        eb.fn.min(total).as('min_total_tokens'),
        eb.fn.max(total).as('max_total_tokens'),
      ])
      .executeTakeFirst();
    // Postgres may hand numbers back as text; an empty match gives nulls.
    const out = {} as LogRanges;
    for (const k of RANGE_FIELDS) {
      const v = (row as Record<string, unknown> | undefined)?.[k];
      out[k] = v === null || v === undefined ? null : Number(v);
    }
    return out;
  }

  /** The rows with these `seq` values that belong to these gateways, in `seq` order (the live tail). */
  async bySeq(
    gateways: ReadonlyArray<{ accountId: string; gatewayId: string }>,
    ranges: ReadonlyArray<readonly [number, number]>,
  ): Promise<LogRowRead[]> {
    if (gateways.length === 0 || ranges.length === 0) return [];
    return this.#db
      .selectFrom('logs')
      .selectAll()
      .where((eb) => eb.or(ranges.map(([from, to]) => eb.between('seq', from, to))))
      .where((eb) =>
        eb.or(
          gateways.map((g) =>
            eb.and([eb('account_id', '=', g.accountId), eb('gateway_id', '=', g.gatewayId)]),
          ),
        ),
      )
      .orderBy('seq')
      .execute();
  }

  /** The first `limit` rows of these gateways stored after `seq`, in `seq` order. */
  async after(
    gateways: ReadonlyArray<{ accountId: string; gatewayId: string }>,
    seq: number,
    limit: number,
  ): Promise<LogRowRead[]> {
    if (gateways.length === 0) return [];
    return this.#db
      .selectFrom('logs')
      .selectAll()
      .where('seq', '>', seq)
      .where((eb) =>
        eb.or(
          gateways.map((g) =>
            eb.and([eb('account_id', '=', g.accountId), eb('gateway_id', '=', g.gatewayId)]),
          ),
        ),
      )
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  /** The highest `seq` stored, or 0 for none. */
  async lastSeq(): Promise<number> {
    const row = await this.#db
      .selectFrom('logs')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async get(accountId: string, gatewayId: string, id: string): Promise<LogRowRead | undefined> {
    return this.#db
      .selectFrom('logs')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** A log's stored body, decompressed; undefined when none was kept. */
  async body(
    accountId: string,
    gatewayId: string,
    id: string,
    which: 'request' | 'response',
  ): Promise<{ body: Buffer; truncated: boolean } | undefined> {
    const row = await this.#db
      .selectFrom('log_payloads')
      .select([which, `${which}_truncated` as const])
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .where('log_id', '=', id)
      .executeTakeFirst();
    const packed = row?.[which] ?? null;
    if (!row || packed === null) return undefined;
    const truncated = (row as Record<string, unknown>)[`${which}_truncated`] === 1;
    return { body: unpack(packed)!, truncated };
  }

  /** Feedback, score and metadata (PATCH); false when there is no such log. */
  async patch(
    accountId: string,
    gatewayId: string,
    id: string,
    change: { feedback?: number | null; score?: number | null; metadata?: string | null },
  ): Promise<boolean> {
    if (Object.keys(change).length === 0) return (await this.get(accountId, gatewayId, id)) !== undefined;
    const r = await this.#db
      .updateTable('logs')
      .set(change)
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Deletes the logs matching `q` (at most `limit`, first in its order), with their bodies, a
   * chunk per transaction so log batches get the writer in between.
   *
   * The matches are never all held at once: choosing every id first ran the SQLite writer
   * thread out of memory at 900 000 logs, and the DELETE failed with nothing deleted. In time
   * order (and with no limit, where order does not matter) the chunks are walked with a cursor
   * on (created_at, seq), so no chunk reads again what an earlier one passed over. A limit in
   * another order (the 1 000 most expensive) is chosen in one sorted read, as `seq` values.
   */
  async delete(
    accountId: string,
    gatewayId: string,
    q: LogQuery,
    limit: number | undefined,
  ): Promise<number> {
    let deleted = 0;
    const remaining = () => (limit === undefined ? DELETE_CHUNK : Math.min(DELETE_CHUNK, limit - deleted));
    if (limit !== undefined && q.orderBy !== 'created_at') {
      const chosen = await this.#where(accountId, gatewayId, q)
        .select('seq')
        .orderBy(q.orderBy, (ob) => ordered(ob, q))
        .orderBy('seq', q.direction)
        .limit(limit)
        .execute();
      for (let i = 0; i < chosen.length; i += DELETE_CHUNK) {
        deleted += await this.#deleteSeqs(chosen.slice(i, i + DELETE_CHUNK).map((r) => r.seq));
      }
      return deleted;
    }
    const direction = limit === undefined ? 'desc' : q.direction;
    let after: { created_at: number; seq: number } | undefined;
    while (limit === undefined || deleted < limit) {
      let chunk = this.#where(accountId, gatewayId, q)
        .select(['created_at', 'seq'])
        .orderBy('created_at', direction)
        .orderBy('seq', direction)
        .limit(remaining());
      const from = after;
      if (from) {
        chunk = chunk.where((eb) =>
          eb(
            eb.refTuple('created_at', 'seq'),
            direction === 'desc' ? '<' : '>',
            eb.tuple(from.created_at, from.seq),
          ),
        );
      }
      const rows = await chunk.execute();
      if (rows.length === 0) break;
      deleted += await this.#deleteSeqs(rows.map((r) => r.seq));
      after = rows.at(-1);
    }
    return deleted;
  }

  /** Deletes these rows and their bodies in one transaction; how many rows went. */
  async #deleteSeqs(seqs: number[]): Promise<number> {
    return this.#db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('log_payloads')
        .where('log_id', 'in', (eb) => eb.selectFrom('logs').select('id').where('seq', 'in', seqs))
        .execute();
      const r = await tx.deleteFrom('logs').where('seq', 'in', seqs).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
}
