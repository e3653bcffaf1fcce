import type { WriterThread } from '../db/writer-thread.ts';
import { encodeBatch } from './batch-codec.ts';
import type { LogSink } from './writer.ts';

/**
 * Log batches stored by the SQLite writer thread, so a batch (tens of µs a row, milliseconds a
 * batch) never holds up the thread that serves requests; this thread only encodes it. Once that
 * thread is gone, batches go to `fallback`, here. A batch in flight when it died is rejected, and
 * the log writer keeps it and tries again.
 */
export function workerLogSink(thread: WriterThread, fallback: LogSink): LogSink {
  return {
    insert(rows) {
      return thread.alive ? thread.insertLogs(encodeBatch(rows)) : fallback.insert(rows);
    },
  };
}
