import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import type { Database } from './tables.ts';

/**
 * Kysely's SQLite dialect expects better-sqlite3's statement shape; node:sqlite is close enough
 * that a thin adapter does it, and keeps us free of a native addon.
 */
class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...(parameters as SQLInputValue[]));
  }

  run(parameters: ReadonlyArray<unknown>) {
    const r = this.#stmt.run(...(parameters as SQLInputValue[]));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...(parameters as SQLInputValue[])) as IterableIterator<unknown>;
  }
}

export function openSqlite(path: string): { db: Kysely<Database>; raw: DatabaseSync } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const raw = new DatabaseSync(path);
  // Token hashes, provider metadata and (in logs) prompts live here: owner-only, like the admin token.
  // SQLite gives its -wal and -shm files the database file's mode.
  if (path !== ':memory:') chmodSync(path, 0o600);
  // WAL lets the log writer and API readers work side by side; NORMAL sync is durable across
  // process crashes (the OS still has the pages), which is the bound the README states.
  raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  const cache = new Map<string, NodeSqliteStatement>();
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = new NodeSqliteStatement(raw.prepare(sql));
        if (cache.size > 500) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), raw };
}
