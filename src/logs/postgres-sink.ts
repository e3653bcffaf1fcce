import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import { LOG_BATCH_CHANNEL, logBatchPayloads } from '../db/change-feed.ts';
import type { Database } from '../db/tables.ts';
import { LOG_COLUMNS } from './log-columns.ts';
import { payloadRow } from './payload.ts';
import type { LogRow, LogSink, Refusal } from './writer.ts';

/** Rows per statement: its JSON about half a megabyte for rows without bodies. */
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
 * A batch goes in as one JSON parameter that Postgres unpacks into rows of the table's own type
 * (`json_populate_recordset`), not as a VALUES list of 37 parameters a row: a statement of 18 500
 * parameters, parsed and planned afresh for every batch, cost Postgres 126 µs of CPU a row against
 * 64 this way (the bench's rows, 500 to a batch, a local server), and the batch took 197 against
 * 134 µs a row to store. The gateway's part is about the same either way (~35–50 µs a row: the
 * values, or the JSON, encoded for the wire; on the Postgres log thread).
 */
const LOGS_FROM_JSON = `INSERT INTO logs (${LOG_COLUMNS.join(',')}) SELECT ${LOG_COLUMNS.join(',')} FROM json_populate_recordset(NULL::logs, $1::json) `;
/**
 * The bodies of a batch: one bytea parameter holding them all, and a JSON list saying where each
 * row's lie in it (-1: none). As `\x` hex inside the JSON they took twice their size on the wire:
 * side by side, this cut Postgres's CPU from 76 to 46–50 µs a row and the encoding's from 37 to
 * 32–33 µs.
 */
const PAYLOADS_FROM_JSON = `INSERT INTO log_payloads (${PAYLOAD_COLUMNS.join(',')})
  SELECT p.log_id, p.account_id, p.gateway_id,
    CASE WHEN p.request_at < 0 THEN NULL ELSE substring($2::bytea FROM p.request_at + 1 FOR p.request_length) END,
    CASE WHEN p.response_at < 0 THEN NULL ELSE substring($2::bytea FROM p.response_at + 1 FOR p.response_length) END,
    p.request_truncated, p.response_truncated
  FROM json_to_recordset($1::json) AS p(log_id text, account_id text, gateway_id text, request_at integer,
    request_length integer, response_at integer, response_length integer, request_truncated integer,
    response_truncated integer) `;
const JSON_KEYS: string[] = [...LOG_COLUMNS];
/**
 * The escapes of what Postgres text cannot hold, behind an even run of backslashes (an odd one
 * makes them text that reads `\u0000`): NUL, and a lone surrogate half, the only characters
 * JSON.stringify writes as `\udXXX` (a whole pair it writes as it is). Either failed the row; both
 * are stored as U+FFFD, as the driver stored them when they went in as parameters.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

function storableJson(value: unknown, keys?: string[]): string {
  const json = JSON.stringify(value, keys);
  return json.includes('\\u0000') || json.includes('\\ud')
    ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd')
    : json;
}

/** The payload rows of a batch as PAYLOADS_FROM_JSON takes them, or undefined when none keeps a body. */
function payloadsOf(rows: readonly LogRow[]): [places: string, bodies: Buffer] | undefined {
  const places: unknown[] = [];
  const bodies: Uint8Array[] = [];
  let at = 0;
  const place = (b: Uint8Array | null): [number, number] => {
    if (b === null) return [-1, 0];
    bodies.push(b);
    at += b.length;
    return [at - b.length, b.length];
  };
  for (const row of rows) {
    const p = payloadRow(row);
    if (!p) continue;
    const [requestAt, requestLength] = place(p.request);
    const [responseAt, responseLength] = place(p.response);
    places.push({
      log_id: p.log_id,
      account_id: p.account_id,
      gateway_id: p.gateway_id,
      request_at: requestAt,
      request_length: requestLength,
      response_at: responseAt,
      response_length: responseLength,
      request_truncated: p.request_truncated,
      response_truncated: p.response_truncated,
    });
  }
  return places.length === 0 ? undefined : [storableJson(places), Buffer.concat(bodies, at)];
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
 * Log batches into Postgres: one JSON parameter per 500 rows (and one for their bodies), in one
 * transaction. A row whose id is already stored is skipped, so a batch sent again after an unknown
 * outcome (a commit whose answer was lost, a journal replay cut short) stores each row once instead
 * of failing for good on the unique id. With `announceAs` (several nodes), the transaction also NOTIFYs the stored rows'
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
      CompiledQuery.raw(LOGS_FROM_JSON + logsTail, [storableJson(chunk, JSON_KEYS)]),
    );
    if (announce) for (const r of stored.rows) seqs.push(Number(r.seq));
    const payloads = payloadsOf(chunk);
    if (payloads === undefined) return;
    await tx.executeQuery(CompiledQuery.raw(PAYLOADS_FROM_JSON + payloadsTail, payloads));
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
