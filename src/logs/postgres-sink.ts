import { CompiledQuery, type Kysely, sql } from 'kysely';
import { LOG_BATCH_CHANNEL, logBatchPayloads } from '../db/change-feed.ts';
import type { Database } from '../db/tables.ts';
import { LOG_COLUMNS } from './log-columns.ts';
import { payloadRow } from './payload.ts';
import type { LogRow, LogSink } from './writer.ts';

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
 * Log batches into Postgres: multi-row inserts in one transaction. A row whose id is already
 * stored is skipped, so a batch sent again after an unknown outcome (a commit whose answer was
 * lost, a journal replay cut short) stores each row once instead of failing for good on the
 * unique id. With `announceAs` (several nodes), the transaction also NOTIFYs the stored rows'
 * `seq` values, delivered to the other nodes when it commits, for their live tails.
 */
export function postgresLogSink(db: Kysely<Database>, opts: { announceAs?: string } = {}): LogSink {
  const announce = opts.announceAs !== undefined;
  const logsTail = `ON CONFLICT (id) DO NOTHING${announce ? ' RETURNING seq' : ''}`;
  const payloadsTail = 'ON CONFLICT (log_id) DO NOTHING';
  return {
    async insert(rows) {
      await db.transaction().execute(async (tx) => {
        const seqs: number[] = [];
        for (let i = 0; i < rows.length; i += CHUNK) {
          const chunk = rows.slice(i, i + CHUNK);
          const stored = await tx.executeQuery<{ seq: number }>(
            CompiledQuery.raw(statement('logs', LOG_COLUMNS, chunk.length, logsTail), logValues(chunk)),
          );
          if (announce) for (const r of stored.rows) seqs.push(Number(r.seq));
          const payloads = chunk.flatMap((row) => payloadRow(row) ?? []);
          if (payloads.length === 0) continue;
          const values = payloads.flatMap((p) => PAYLOAD_COLUMNS.map((c) => p[c]));
          await tx.executeQuery(
            CompiledQuery.raw(
              statement('log_payloads', PAYLOAD_COLUMNS, payloads.length, payloadsTail),
              values,
            ),
          );
        }
        if (!announce || seqs.length === 0) return;
        for (const p of logBatchPayloads(opts.announceAs!, seqs)) {
          await sql`SELECT pg_notify(${LOG_BATCH_CHANNEL}, ${p})`.execute(tx);
        }
      });
    },
  };
}
