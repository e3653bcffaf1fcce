import type pgModule from 'pg';
import type { Client, Pool } from 'pg';
import { atMostEvery } from '../util/at-most-every.ts';

export interface PostgresPoolOptions {
  connectionString: string;
  max: number;
  /** Connecting, or waiting for a pooled connection. */
  connectTimeoutMs: number;
  /** Postgres cancels a statement that runs longer (`statement_timeout`); 0: no limit. */
  queryTimeoutMs: number;
  log: (level: 'warn', message: string) => void;
}

/**
 * How long past the statement timeout a query may go without a word before its connection is
 * dropped: time for Postgres's own cancellation to arrive. At most the timeout itself.
 */
const NO_ANSWER_GRACE_MS = 5_000;

const LOSS_REPORT_MS = 10_000;

/** A query Gatehouse gave up on because the database said nothing at all. */
export class DatabaseSilentError extends Error {
  override name = 'DatabaseSilentError';
  readonly code = 'ETIMEDOUT';
}

/**
 * Closes a client's socket at once, with `why` as the error its query in flight fails with: the
 * only way out of a query on a database that says nothing, since a polite end waits for an answer.
 */
export function dropConnection(client: Client, why: Error): void {
  (client as unknown as { connection: { stream: { destroy(e: Error): void } } }).connection.stream.destroy(
    why,
  );
}

/**
 * The pool every Postgres query goes through, bounded two ways. A slow statement is cancelled by
 * Postgres itself after `queryTimeoutMs`. A database that says nothing at all (a host gone from
 * the network, a server stopped, a proxy holding the packets) cannot cancel anything, so when
 * that bound and a grace period pass without an answer the connection is dropped, the query
 * fails with a clear error, and the pool opens a fresh connection for the next one. Without
 * this, a silent database held management requests, and the log writer, until the kernel gave
 * up on the socket, which takes about 15 minutes on Linux.
 */
export function createPostgresPool(pg: typeof pgModule, o: PostgresPoolOptions): Pool {
  // Anything but a positive number of milliseconds means no limit, never an instant one.
  const limit = Number.isFinite(o.queryTimeoutMs) ? Math.max(o.queryTimeoutMs, 0) : 0;
  class BoundedClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; all pass through.
    override query(...args: any[]): any {
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const result = (super.query as (...a: any[]) => unknown)(...args);
      if (limit === 0 || !(result instanceof Promise)) return result;
      const after = limit + Math.min(limit, NO_ANSWER_GRACE_MS);
      // The query in flight fails with this error; the pool then discards the connection.
      const timer = setTimeout(
        () =>
          dropConnection(
            this,
            new DatabaseSilentError(`the database did not answer within ${after / 1000} s`),
          ),
        after,
      );
      return result.finally(() => clearTimeout(timer));
    }
  }
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.max,
    connectionTimeoutMillis: o.connectTimeoutMs,
    Client: BoundedClient,
    ...(limit > 0 ? { statement_timeout: limit } : {}),
  });
  // An idle connection the server drops (restart, failover) is replaced on next use; say so, do
  // not crash. A restart drops every idle connection at once: one line, with how many.
  const lost = atMostEvery(LOSS_REPORT_MS, (message, times) =>
    o.log(
      'warn',
      `database connection lost: ${message}${times > 1 ? ` (${times} connections since the last report)` : ''}`,
    ),
  );
  pool.on('error', (err) => lost(err.message));
  // A connection that drops while a query is on it gives that query the error, and then emits
  // it on the client, where pg-pool listens only while the client is idle: unheard, that event
  // would end the process. The query's caller reports it; this listener only keeps it heard.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
