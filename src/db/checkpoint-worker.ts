import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs in its own thread with its own connection: copies the WAL into the database file
 * (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks writers) every `intervalMs`. The fsync a
 * checkpoint ends with waits here instead of on the thread that serves requests.
 */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 5000;');

const timer = setInterval(() => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE);');
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
}, intervalMs);

parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE);');
  } finally {
    db.close();
    parentPort?.close();
  }
});
