import { type LogThread, startDatabaseThread } from './writer-thread.ts';

/**
 * Log batches into Postgres from a thread of their own. Encoding 500 rows for the wire (their
 * values, their bodies as hex) costs ~35–50 µs a row, which on the thread that serves requests
 * came out of every logged request's share of it; here the request thread only encodes the batch
 * for the thread (~5 µs a row, as for SQLite). Its own connection, its own pool bounds; ~24 MB of
 * memory (a V8 isolate), as the SQLite writer thread takes on SQLite.
 */
export function startPostgresLogThread(opts: {
  connectionString: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  /** With several nodes: this node's name, to announce stored rows to the others' live tails. */
  announceAs?: string;
  onError: (message: string) => void;
}): LogThread {
  return startDatabaseThread({
    script: new URL('./postgres-log-worker.ts', import.meta.url),
    workerData: {
      connectionString: opts.connectionString,
      connectTimeoutMs: opts.connectTimeoutMs,
      queryTimeoutMs: opts.queryTimeoutMs,
      announceAs: opts.announceAs,
    },
    name: 'Postgres log thread',
    backOnIt: 'logs are back on it',
    onError: opts.onError,
    onReport: opts.onError,
  });
}
