import { parentPort, workerData } from 'node:worker_threads';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../db/checkpointer.ts';
import { openSqlite } from '../db/sqlite.ts';
import { decodeBatch, type EncodedBatch } from './batch-codec.ts';
import { sqliteLogSink } from './sqlite-sink.ts';

/**
 * The log writer's thread: its own connection to the database file, the same inserts the request
 * thread would make (and the body compression they include), one transaction per batch. Replies
 * `{ id }` once a batch is committed, `{ id, error }` if it is not.
 */
const { path } = workerData as { path: string };
const { db, raw } = openSqlite(path);
// Checkpoints are the checkpoint worker's job; this connection only falls back to them like the main one.
raw.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES};`);
const sink = sqliteLogSink(raw);

parentPort?.on('message', (message: { id: number; batch: EncodedBatch } | 'stop') => {
  if (message === 'stop') {
    void db.destroy().finally(() => parentPort?.close());
    return;
  }
  const { id, batch } = message;
  sink.insert(decodeBatch(batch)).then(
    () => parentPort?.postMessage({ id }),
    (err: unknown) => parentPort?.postMessage({ id, error: (err as Error).message }),
  );
});
