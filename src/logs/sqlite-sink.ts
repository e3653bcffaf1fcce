import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { payloadRow } from './payload.ts';
import type { LogRow, LogSink } from './writer.ts';

/** The logs table's columns, in the order the insert binds them (and the worker batch encodes them). */
export const LOG_COLUMNS = [
  'id',
  'account_id',
  'gateway_id',
  'created_at',
  'provider',
  'model',
  'path',
  'method',
  'status_code',
  'success',
  'cached',
  'duration',
  'upstream_duration',
  'tokens_in',
  'tokens_out',
  'event_id',
  'request_id',
  'metadata',
  'step',
  'attempt',
  'cost',
  'custom_cost',
  'saved_cost',
  'feedback',
  'score',
  'request_content_type',
  'response_content_type',
  'request_size',
  'response_size',
  'user_agent',
  'authentication',
  'model_type',
  'compat',
  'request_head',
  'response_head',
  'request_type',
  'error',
] as const satisfies ReadonlyArray<keyof LogRow>;

const GROUP = 32;

/**
 * Log batches into SQLite with prepared multi-row inserts inside a transaction. A row whose id is
 * already stored is skipped, so a batch sent again (its writer could not tell whether the first try
 * committed) stores each row once. This is the one place that bypasses Kysely: building a many-row
 * insert through the query builder for every batch was a measurable share of the gateway's CPU in
 * the bench, and this path is that hot.
 */
export function sqliteLogSink(raw: DatabaseSync): LogSink {
  const statement = (rows: number) =>
    raw.prepare(
      `INSERT INTO logs (${LOG_COLUMNS.join(', ')}) VALUES ${Array.from(
        { length: rows },
        () => `(${LOG_COLUMNS.map(() => '?').join(', ')})`,
      ).join(', ')} ON CONFLICT (id) DO NOTHING`,
    );
  // Rows go in groups of GROUP per statement call: one bind-and-step per group, not per row.
  const insertGroup = statement(GROUP);
  const insertOne = statement(1);
  const insertPayload = raw.prepare(
    'INSERT INTO log_payloads (log_id, account_id, gateway_id, request, response, request_truncated, response_truncated) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log_id) DO NOTHING',
  );
  const groupValues: SQLInputValue[] = new Array(LOG_COLUMNS.length * GROUP);
  const oneValues: SQLInputValue[] = new Array(LOG_COLUMNS.length);
  const fill = (into: SQLInputValue[], row: LogRow, offset: number) => {
    for (let i = 0; i < LOG_COLUMNS.length; i++)
      into[offset + i] = (row[LOG_COLUMNS[i]!] ?? null) as SQLInputValue;
  };
  return {
    async insert(rows) {
      raw.exec('BEGIN');
      try {
        let r = 0;
        for (; r + GROUP <= rows.length; r += GROUP) {
          for (let j = 0; j < GROUP; j++) fill(groupValues, rows[r + j]!, j * LOG_COLUMNS.length);
          insertGroup.run(...groupValues);
        }
        for (; r < rows.length; r++) {
          fill(oneValues, rows[r]!, 0);
          insertOne.run(...oneValues);
        }
        for (const row of rows) {
          const p = payloadRow(row);
          if (p) {
            insertPayload.run(
              p.log_id,
              p.account_id,
              p.gateway_id,
              p.request,
              p.response,
              p.request_truncated,
              p.response_truncated,
            );
          }
        }
        raw.exec('COMMIT');
      } catch (err) {
        raw.exec('ROLLBACK');
        throw err;
      }
    },
  };
}
