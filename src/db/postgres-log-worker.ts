import { parentPort, workerData } from 'node:worker_threads';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type EncodedBatch, forEachEncodedRow } from '../logs/batch-codec.ts';
import { LOG_COLUMNS } from '../logs/log-columns.ts';
import { unpack } from '../logs/payload.ts';
import { postgresLogSink } from '../logs/postgres-sink.ts';
import type { LogRow, Refusal } from '../logs/writer.ts';
import { createPostgresPool } from './postgres-pool.ts';
import type { Database } from './tables.ts';

/**
 * Runs on the Postgres log thread (postgres-log-thread.ts): each log batch it is sent, stored
 * through its own connection as the sink on the main thread would, answered `{ id, result }` with
 * the rows Postgres refused, or `{ id, error }`. Its pool's reports (a lost connection, a query
 * that ran too long) go to the main thread as `{ error }`.
 */
const { connectionString, connectTimeoutMs, queryTimeoutMs, announceAs } = workerData as {
  connectionString: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  announceAs: string | undefined;
};
const pool = createPostgresPool(pg, {
  connectionString,
  max: 1,
  connectTimeoutMs,
  queryTimeoutMs,
  log: (_level, message) => parentPort?.postMessage({ error: message }),
});
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
let refusal: Refusal | undefined;
const sink = postgresLogSink(db, {
  ...(announceAs === undefined ? {} : { announceAs }),
  onRefused: (r) => {
    refusal = r;
  },
});

/** The batch's rows as the main thread queued them. */
function rowsOf(batch: EncodedBatch): LogRow[] {
  const rows: LogRow[] = [];
  forEachEncodedRow(batch, (values, bodies) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < LOG_COLUMNS.length; i++) row[LOG_COLUMNS[i]!] = values[i];
    if (bodies) {
      row['payload'] = {
        request: unpack(bodies.request),
        response: unpack(bodies.response),
        requestTruncated: bodies.requestTruncated,
        responseTruncated: bodies.responseTruncated,
      };
    }
    rows.push(row as LogRow);
  });
  return rows;
}

/** Stores one batch; answers with the rows Postgres refused, or with the error. */
async function store(id: number, batch: EncodedBatch): Promise<void> {
  try {
    refusal = undefined;
    await sink.insert(rowsOf(batch));
    parentPort?.postMessage({ id, result: refusal });
  } catch (err) {
    const e = err as Error & { code?: unknown };
    parentPort?.postMessage({ id, error: e.message, details: { code: e.code } });
  }
}

parentPort?.postMessage({ ready: true });
// One message at a time, in order: a journal replay sends its batches beside the writer's, and
// each answer must carry its own batch's refusals. A stop comes after what was sent before it.
let queue = Promise.resolve();
parentPort?.on('message', (message: { id: number; batch: EncodedBatch } | 'stop') => {
  queue = queue.then(async () => {
    if (message !== 'stop') return store(message.id, message.batch);
    await db.destroy().catch(() => undefined);
    parentPort?.close();
  });
});
