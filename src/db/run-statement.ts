import type { SQLInputValue, StatementSync } from 'node:sqlite';

/** What a statement gives back: its rows, or, for one that returns none, what it changed. */
export type StatementResult = { rows: unknown[] } | { changes: number; lastInsertRowid: number | bigint };

/** Runs a prepared statement as a query builder needs it: `all` when it returns rows, else `run`. */
export function runStatement(stmt: StatementSync, parameters: readonly unknown[]): StatementResult {
  const values = parameters as SQLInputValue[];
  if (stmt.columns().length > 0) return { rows: stmt.all(...values) };
  const r = stmt.run(...values);
  return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
}
