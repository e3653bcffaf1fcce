import { connect } from 'node:net';
import type pgModule from 'pg';
import type { Client, Pool } from 'pg';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';

export interface PostgresPoolOptions {
  connectionString: string;
  max: number;
  /** Connecting, or waiting for a pooled connection. */
  connectTimeoutMs: number;
  /** A query running longer is cancelled, and given up on if the database says nothing; 0: no limit. */
  queryTimeoutMs: number;
  log: (level: 'warn', message: string) => void;
}

/**
 * How long past the bound a query may go without a word before its connection is dropped: time
 * for the cancellation to come back. At most the bound itself.
 */
const NO_ANSWER_GRACE_MS = 5_000;

const LOSS_REPORT_MS = 10_000;

/** A query Gatehouse gave up on because the database said nothing at all. */
export class DatabaseSilentError extends Error {
  override name = 'DatabaseSilentError';
  readonly code = 'ETIMEDOUT';
}

/** A query Gatehouse cancelled because it ran past `database_query_timeout_ms`. */
export class QueryTimeoutError extends Error {
  override name = 'QueryTimeoutError';
  readonly code = '57014';
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
 * Asks the server to cancel what a connection is running: the protocol's CancelRequest, on a
 * connection of its own, as psql's Ctrl-C does. Best effort: if it does not arrive, the bound's
 * grace ends with the connection dropped instead.
 */
function requestCancel(client: Client): void {
  const c = client as unknown as {
    host: string;
    port: number;
    processID: number | null;
    secretKey: number | null;
  };
  if (c.processID === null || c.secretKey === null) return;
  const socket = c.host.startsWith('/') ? connect(`${c.host}/.s.PGSQL.${c.port}`) : connect(c.port, c.host);
  socket.on('error', () => socket.destroy());
  socket.setTimeout(NO_ANSWER_GRACE_MS, () => socket.destroy());
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4); // the CancelRequest code
  packet.writeInt32BE(c.processID, 8);
  packet.writeInt32BE(c.secretKey, 12);
  socket.end(packet);
}

/**
 * Postgres text cannot hold U+0000: one string parameter carrying it fails the whole statement
 * ("invalid byte sequence for encoding UTF8: 0x00"). A model name with a NUL in a request body
 * failed every log batch it sat in, and the writer retried that batch for good. Such strings are
 * stored, and looked up, with U+FFFD in its place; SQLite keeps them as sent.
 */
export function withoutNul(values: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let clean = v;
    if (typeof v === 'string' && v.includes('\0')) clean = v.replaceAll('\0', '\uFFFD');
    else if (Array.isArray(v)) clean = withoutNul(v);
    if (clean === v) continue;
    out ??= values.slice();
    out[i] = clean;
  }
  return out ?? values;
}

/**
 * The pool every Postgres query goes through, with each query bounded by `queryTimeoutMs`. At
 * the bound Gatehouse asks the server to cancel it (the query fails with a QueryTimeoutError);
 * a database that says nothing at all (a host gone from the network, a stopped server, a proxy
 * holding the packets) cannot answer that either, so after a grace the connection is dropped,
 * the query fails with a DatabaseSilentError, and the pool opens a fresh connection for the
 * next one. Without this, a silent database held management requests, and the log writer, until
 * the kernel gave up on the socket, which takes about 15 minutes on Linux. The bound is kept here
 * rather than as a `statement_timeout` startup parameter, which PgBouncer refuses.
 */
export function createPostgresPool(pg: typeof pgModule, o: PostgresPoolOptions): Pool {
  // Anything but a positive number of milliseconds means no limit, never an instant one.
  const limit = Number.isFinite(o.queryTimeoutMs) ? Math.max(o.queryTimeoutMs, 0) : 0;
  const grace = Math.min(limit, NO_ANSWER_GRACE_MS);
  class BoundedClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; all pass through.
    override query(...args: any[]): any {
      // Kysely passes (text, values); a plain config object carries them as `values`.
      if (Array.isArray(args[1])) args[1] = withoutNul(args[1]);
      else if (args[0]?.constructor === Object && Array.isArray(args[0].values))
        args[0] = { ...args[0], values: withoutNul(args[0].values) };
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const result = (super.query as (...a: any[]) => unknown)(...args);
      if (limit === 0 || !(result instanceof Promise)) return result;
      let cancelled = false;
      let silent: NodeJS.Timeout | undefined;
      const bound = setTimeout(() => {
        cancelled = true;
        requestCancel(this);
        // The query in flight fails with this error; the pool then discards the connection.
        silent = setTimeout(
          () =>
            dropConnection(
              this,
              new DatabaseSilentError(`the database did not answer within ${(limit + grace) / 1000} s`),
            ),
          grace,
        );
      }, limit);
      return result.then(
        (value) => {
          clearTimeout(bound);
          clearTimeout(silent);
          return value;
        },
        (err: { code?: unknown }) => {
          clearTimeout(bound);
          clearTimeout(silent);
          // Our own cancellation comes back as "canceling statement due to user request".
          if (cancelled && err?.code === '57014')
            throw new QueryTimeoutError(`the query ran past database_query_timeout_ms (${limit} ms)`, {
              cause: err,
            });
          throw err;
        },
      );
    }
  }
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.max,
    connectionTimeoutMillis: o.connectTimeoutMs,
    Client: BoundedClient,
  });
  // An idle connection the server drops (restart, failover) is replaced on next use; say so, do
  // not crash. A restart drops every idle connection at once: one line, with how many.
  const lost = atMostEvery(LOSS_REPORT_MS, (message, times) =>
    o.log('warn', `database connection lost: ${message}${sinceLastReport(times, 'connections')}`),
  );
  pool.on('error', (err) => lost(err.message));
  // A connection that drops while a query is on it gives that query the error, and then emits
  // it on the client, where pg-pool listens only while the client is idle: unheard, that event
  // would end the process. The query's caller reports it; this listener only keeps it heard.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
