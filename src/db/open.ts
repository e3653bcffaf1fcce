import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import type { Config } from '../config/schema.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { type Dialect, migrate } from './migrations.ts';
import { createPostgresPool } from './postgres-pool.ts';
import { openSqlite } from './sqlite.ts';
import { threadKysely } from './sqlite-thread-dialect.ts';
import type { Database } from './tables.ts';
import { startWriterThread, type WriterThread } from './writer-thread.ts';

/** The database named by `database_url` could not be reached, logged in to or migrated. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/** Postgres: how long connecting, or waiting for a pooled connection, may take. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** How often the WAL is copied into the database file, off the request thread. */
const CHECKPOINT_INTERVAL_MS = 1_000;

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite handle when the database is SQLite (the log sink and the SQLite cache store use it). */
  sqlite: DatabaseSync | undefined;
  /** SQLite's background thread (WAL checkpoints, log batches, log queries); none on Postgres. */
  writer: WriterThread | undefined;
  /**
   * Where the logs API and analytics query: on SQLite the writer thread's connection, so a scan
   * of a million rows runs beside the requests rather than stopping them; on Postgres, `db`.
   */
  logsDb: Kysely<Database>;
  /** Where the database is, without credentials, for the startup banner. */
  where: string;
  close(): Promise<void>;
}

/**
 * The embedded SQLite file by default; Postgres when `database_url` / `GATEHOUSE_DATABASE_URL`
 * names one, so that several nodes share config and logs. Migrations run before anything reads.
 */
export async function openDatabase(
  config: Config,
  log: (level: 'warn', message: string) => void,
): Promise<OpenDatabase> {
  if (!config.databaseUrl) {
    const path = join(config.dataDir, 'gatehouse.db');
    let unlock: () => void;
    try {
      unlock = lockDataDir(config.dataDir);
    } catch (err) {
      throw new DatabaseOpenError((err as Error).message, { cause: err });
    }
    let opened: ReturnType<typeof openSqlite> | undefined;
    try {
      // A file that is not a database, or is damaged, fails here: say which file.
      opened = openSqlite(path);
      await migrate(opened.db, 'sqlite');
    } catch (err) {
      await opened?.db.destroy();
      unlock();
      throw new DatabaseOpenError(`database ${path}: ${(err as Error).message}`, { cause: err });
    }
    const { db, raw } = opened;
    const writer = startWriterThread(raw, path, CHECKPOINT_INTERVAL_MS, (m) => log('warn', m));
    return {
      db,
      dialect: 'sqlite',
      sqlite: raw,
      writer,
      logsDb: threadKysely(writer, raw),
      where: path,
      close: async () => {
        await writer.stop();
        await db.destroy();
        unlock();
      },
    };
  }
  const { default: pg } = await import('pg');
  const { PostgresDialect } = await import('kysely');
  // int8 columns hold unix-millisecond times and counts, all far below 2^53: numbers, not strings.
  pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
  pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));
  const url = new URL(config.databaseUrl);
  url.password = url.password ? '***' : '';
  // A database that accepts the connection and then says nothing must not hang the start, nor
  // every later request for a connection: CONNECT_TIMEOUT_MS to connect, or to get a connection
  // from the pool. Migrations run on a connection of their own without the query timeout: building
  // an index on a large logs table may rightly take longer than any request should.
  const migrator = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: createPostgresPool(pg, {
        connectionString: config.databaseUrl,
        max: 1,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        queryTimeoutMs: 0,
        log,
      }),
    }),
  });
  try {
    await migrate(migrator, 'postgres');
  } catch (err) {
    // Say which database, without its password.
    throw new DatabaseOpenError(`database ${url}: ${(err as Error).message}`, { cause: err });
  } finally {
    await migrator.destroy();
  }
  const pool = createPostgresPool(pg, {
    connectionString: config.databaseUrl,
    max: 10,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    queryTimeoutMs: config.databaseQueryTimeoutMs,
    log,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    sqlite: undefined,
    writer: undefined,
    logsDb: db,
    where: url.toString(),
    close: () => db.destroy(),
  };
}
