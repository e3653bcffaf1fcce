import type { DatabaseSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { runStatement } from './run-statement.ts';
import type { Database } from './tables.ts';
import type { WriterThread } from './writer-thread.ts';

class ThreadConnection implements DatabaseConnection {
  readonly #thread: WriterThread;
  readonly #raw: DatabaseSync;
  /**
   * Where the current holder's statements go, chosen when it took the connection: a transaction
   * begun on one connection must end there, even if the thread stops or starts again meanwhile
   * (a commit sent to the other would leave this one's transaction open for good).
   */
  #onThread = true;

  constructor(thread: WriterThread, raw: DatabaseSync) {
    this.#thread = thread;
    this.#raw = raw;
  }

  /** Called as a caller takes the connection. */
  choose(): void {
    this.#onThread = this.#thread.alive;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const r = this.#onThread
      ? await this.#thread.query(query.sql, query.parameters)
      : // The writer thread has stopped: the same statement on this thread's connection.
        runStatement(this.#raw.prepare(query.sql), query.parameters);
    if ('rows' in r) return { rows: r.rows as R[] };
    return { rows: [], numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid) };
  }

  // biome-ignore lint/correctness/useYield: a generator that refuses, as Kysely's interface wants one.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the SQLite thread connection');
  }
}

/**
 * Kysely on the SQLite writer thread's connection: each compiled statement is sent there and its
 * rows come back. The logs API and analytics read through it, so a search or a week of analytics
 * over a million rows (seconds on SQLite, which is synchronous) runs beside the requests instead
 * of stopping them all. One connection, so one caller at a time holds it: a transaction's
 * statements must not interleave with another caller's.
 */
export function threadKysely(thread: WriterThread, raw: DatabaseSync): Kysely<Database> {
  const connection = new ThreadConnection(thread, raw);
  let held: Promise<void> = Promise.resolve();
  let release: (() => void) | undefined;
  const driver: Driver = {
    async init() {},
    async acquireConnection() {
      const before = held;
      let done!: () => void;
      held = new Promise<void>((resolve) => {
        done = resolve;
      });
      await before;
      release = done;
      connection.choose();
      return connection;
    },
    async beginTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('begin'));
    },
    async commitTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('commit'));
    },
    async rollbackTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('rollback'));
    },
    async releaseConnection() {
      const done = release;
      release = undefined;
      done?.();
    },
    async destroy() {},
  };
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
  return new Kysely<Database>({ dialect });
}
