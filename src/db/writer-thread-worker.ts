import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedBatch } from '../logs/batch-codec.ts';
import { type SqliteLogSink, sqliteLogSink } from '../logs/sqlite-sink.ts';
import { openSqliteFile } from './sqlite-file.ts';

/**
 * Runs on the SQLite writer thread (writer-thread.ts): `PRAGMA wal_checkpoint(PASSIVE)` (which
 * never blocks writers) every `checkpointIntervalMs`, and each log batch it is sent in one
 * transaction, answered `{ id }` once committed or `{ id, error }`. Messages are handled one at a
 * time: a batch's insert is synchronous.
 */
const { path, checkpointIntervalMs, autocheckpoint } = workerData as {
  path: string;
  checkpointIntervalMs: number;
  autocheckpoint: number;
};
const raw = openSqliteFile(path);
raw.exec(`PRAGMA wal_autocheckpoint = ${autocheckpoint};`);
// Prepared on the first batch: the thread starts before anything needs the logs table to exist.
let logs: SqliteLogSink | undefined;

const checkpoint = () => {
  try {
    raw.exec('PRAGMA wal_checkpoint(PASSIVE);');
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
};
const timer = setInterval(checkpoint, checkpointIntervalMs);

parentPort?.on('message', (message: { id: number; batch: EncodedBatch } | 'stop') => {
  if (message === 'stop') {
    clearInterval(timer);
    checkpoint();
    raw.close();
    parentPort?.close();
    return;
  }
  const { id, batch } = message;
  try {
    logs ??= sqliteLogSink(raw);
    logs.insertEncoded(batch);
    parentPort?.postMessage({ id });
  } catch (err) {
    parentPort?.postMessage({ id, error: (err as Error).message });
  }
});
