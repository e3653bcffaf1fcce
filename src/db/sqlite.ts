import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { Kysely, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import { openSqliteFile } from './sqlite-file.ts';
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
  const raw = openSqliteFile(path);
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
