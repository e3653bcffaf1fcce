import type { LogThread } from '../db/writer-thread.ts';
import { encodeBatch } from './batch-codec.ts';
import type { LogSink, Refusal } from './writer.ts';

/**
 * Log batches stored by a thread of their own (SQLite's writer thread, or the Postgres log thread),
 * so a batch (tens of µs a row, milliseconds a batch) never holds up the thread that serves
 * requests; this thread only encodes it. Once that
 * thread is gone, batches go to `fallback`, here. A batch in flight when it died is rejected, and
 * the log writer keeps it and tries again. Rows the database refuses are reported with `onRefused`.
 */
export function workerLogSink(
  thread: LogThread,
  fallback: LogSink,
  onRefused?: (refusal: Refusal) => void,
): LogSink {
  return {
    async insert(rows) {
      if (!thread.alive) return fallback.insert(rows);
      const refusal = await thread.insertLogs(encodeBatch(rows));
      if (!refusal) return undefined;
      onRefused?.(refusal);
      return refusal.ids;
    },
  };
}
