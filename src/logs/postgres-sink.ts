import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import { LOG_BATCH_CHANNEL, logBatchPayloads } from '../db/change-feed.ts';
import type { Database } from '../db/tables.ts';
import { LOG_COLUMNS } from './log-columns.ts';
import { payloadRow } from './payload.ts';
import type { LogRow, LogSink, Refusal } from './writer.ts';

/** Rows per INSERT: Postgres allows 65535 bind parameters per statement; 37 columns × 500 stays under. */
const CHUNK = 500;

const PAYLOAD_COLUMNS = [
  'log_id',
  'account_id',
  'gateway_id',
  'request',
  'response',
  'request_truncated',
  'response_truncated',
] as const;

/**
 * `INSERT INTO {table} (…) VALUES ($1, …), (…) …` for `rows` rows. Written here rather than
 * through Kysely's builder: for a 500-row batch the builder parses and compiles 18 500 values, as
 * much CPU on the request thread as sending them, for a statement whose shape never changes.
 */
function multiRowInsert(table: string, columns: readonly string[], rows: number, tail: string): string {
  const tuples: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const slots: string[] = [];
    for (let c = 0; c < columns.length; c++) slots.push(`$${n++}`);
    tuples.push(`(${slots.join(',')})`);
  }
  return `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')} ${tail}`;
}

/** The statements for a full chunk, built once; a partial one (a batch's last) is built when needed. */
const fullChunk = new Map<string, string>();
function statement(table: string, columns: readonly string[], rows: number, tail: string): string {
  if (rows !== CHUNK) return multiRowInsert(table, columns, rows, tail);
  const key = `${table} ${tail}`;
  let text = fullChunk.get(key);
  if (text === undefined) {
    text = multiRowInsert(table, columns, rows, tail);
    fullChunk.set(key, text);
  }
  return text;
}

function logValues(rows: readonly LogRow[]): unknown[] {
  const values = new Array<unknown>(rows.length * LOG_COLUMNS.length);
  let i = 0;
  for (const row of rows) for (const c of LOG_COLUMNS) values[i++] = row[c] ?? null;
  return values;
}

/**
 * Whether Postgres refused a statement for the data in it (SQLSTATE classes 22, data exception;
 * 23, integrity; 54, a limit such as an index entry's size), which it will do every time it is
 * sent again, unlike a lost connection or a timeout.
 */
export function refusesData(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

export interface PostgresSinkOptions {
  /** With several nodes: this node's name, to announce stored rows to the others' live tails. */
  announceAs?: string;
  /** Rows the database refused and that were dropped, with the database's reason for the first. */
  onRefused?: (refusal: Refusal) => void;
}

/**
 * Log batches into Postgres: multi-row inserts in one transaction. A row whose id is already
 * stored is skipped, so a batch sent again after an unknown outcome (a commit whose answer was
 * lost, a journal replay cut short) stores each row once instead of failing for good on the
 * unique id. With `announceAs` (several nodes), the transaction also NOTIFYs the stored rows'
 * `seq` values, delivered to the other nodes when it commits, for their live tails.
 *
 * A batch the database refuses for its data is stored again a row at a time, each behind a
 * savepoint, and the rows it refuses are dropped and reported: the writer retries a failed batch
 * until it is stored, so one row Postgres cannot hold would otherwise keep every later row out.
 */
export function postgresLogSink(db: Kysely<Database>, opts: PostgresSinkOptions = {}): LogSink {
  const announce = opts.announceAs !== undefined;
  const logsTail = `ON CONFLICT (id) DO NOTHING${announce ? ' RETURNING seq' : ''}`;
  const payloadsTail = 'ON CONFLICT (log_id) DO NOTHING';

  async function storeChunk(tx: Transaction<Database>, chunk: readonly LogRow[], seqs: number[]) {
    const stored = await tx.executeQuery<{ seq: number }>(
      CompiledQuery.raw(statement('logs', LOG_COLUMNS, chunk.length, logsTail), logValues(chunk)),
    );
    if (announce) for (const r of stored.rows) seqs.push(Number(r.seq));
    const payloads = chunk.flatMap((row) => payloadRow(row) ?? []);
    if (payloads.length === 0) return;
    const values = payloads.flatMap((p) => PAYLOAD_COLUMNS.map((c) => p[c]));
    await tx.executeQuery(
      CompiledQuery.raw(statement('log_payloads', PAYLOAD_COLUMNS, payloads.length, payloadsTail), values),
    );
  }

  async function announceStored(tx: Transaction<Database>, seqs: number[]) {
    if (!announce || seqs.length === 0) return;
    for (const p of logBatchPayloads(opts.announceAs!, seqs)) {
      await sql`SELECT pg_notify(${LOG_BATCH_CHANNEL}, ${p})`.execute(tx);
    }
  }

  async function storeEach(rows: readonly LogRow[]): Promise<string[]> {
    const refused: string[] = [];
    let reason = '';
    await db.transaction().execute(async (tx) => {
      const seqs: number[] = [];
      for (const row of rows) {
        await sql`SAVEPOINT log_row`.execute(tx);
        try {
          await storeChunk(tx, [row], seqs);
        } catch (err) {
          if (!refusesData(err)) throw err;
          await sql`ROLLBACK TO SAVEPOINT log_row`.execute(tx);
          refused.push(row.id);
          reason ||= (err as Error).message;
        }
      }
      await announceStored(tx, seqs);
    });
    if (refused.length > 0) opts.onRefused?.({ ids: refused, reason });
    return refused;
  }

  return {
    async insert(rows) {
      try {
        await db.transaction().execute(async (tx) => {
          const seqs: number[] = [];
          for (let i = 0; i < rows.length; i += CHUNK) await storeChunk(tx, rows.slice(i, i + CHUNK), seqs);
          await announceStored(tx, seqs);
        });
      } catch (err) {
        if (!refusesData(err)) throw err;
        return storeEach(rows);
      }
    },
  };
}
