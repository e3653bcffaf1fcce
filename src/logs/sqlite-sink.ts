import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { type EncodedBatch, encodeBatch, type FramedBodies, forEachEncodedRow } from './batch-codec.ts';
import { LOG_COLUMNS } from './log-columns.ts';
import { storedBody } from './payload.ts';
import type { LogSink, Refusal } from './writer.ts';

const COLUMNS = LOG_COLUMNS.length;
const GROUP = 32;
// Where the payload row's keys are among a row's values.
const ID = LOG_COLUMNS.indexOf('id');
const ACCOUNT = LOG_COLUMNS.indexOf('account_id');
const GATEWAY = LOG_COLUMNS.indexOf('gateway_id');

export interface SqliteLogSink extends LogSink {
  /**
   * Stores an encoded batch in one transaction, synchronously (the writer thread's call). Returns
   * the rows SQLite refused, if it refused any.
   */
  insertEncoded(batch: EncodedBatch): Refusal | undefined;
}

/**
 * Whether SQLite refused a statement for the data in it (a constraint, a value too big, a type
 * mismatch), which it will do every time it is sent again, unlike a locked or full database.
 */
function refusesData(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | undefined)?.errcode;
  if (typeof code !== 'number') return false;
  const primary = code & 0xff;
  return primary === 19 || primary === 18 || primary === 20;
}

/**
 * Log batches into SQLite with prepared multi-row inserts inside a transaction. A row whose id is
 * already stored is skipped, so a batch sent again (its writer could not tell whether the first try
 * committed) stores each row once. This is the one place that bypasses Kysely: building a many-row
 * insert through the query builder for every batch was a measurable share of the gateway's CPU in
 * the bench, and this path is that hot. Every batch goes in through its encoded form (the one the
 * writer thread gets), so rows on this thread take the same path.
 */
export function sqliteLogSink(
  raw: DatabaseSync,
  opts: { onRefused?: (refusal: Refusal) => void } = {},
): SqliteLogSink {
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
  const group: SQLInputValue[] = new Array(COLUMNS * GROUP);

  const storePayload = (values: unknown[], bodies: FramedBodies | undefined) => {
    if (!bodies || (!bodies.request && !bodies.response)) return;
    insertPayload.run(
      values[ID] as string,
      values[ACCOUNT] as string,
      values[GATEWAY] as string,
      bodies.request && storedBody(bodies.request),
      bodies.response && storedBody(bodies.response),
      bodies.requestTruncated ? 1 : 0,
      bodies.responseTruncated ? 1 : 0,
    );
  };

  /** Runs `store` in a transaction, rolled back if it throws. */
  const inTransaction = (store: () => void): void => {
    raw.exec('BEGIN');
    try {
      store();
      raw.exec('COMMIT');
    } catch (err) {
      // SQLite rolls back by itself on some errors (a full disk, an I/O error); a ROLLBACK then
      // fails and would hide the error that says what happened.
      if (raw.isTransaction) raw.exec('ROLLBACK');
      throw err;
    }
  };

  const storeAll = (batch: EncodedBatch) =>
    inTransaction(() => {
      let n = 0;
      forEachEncodedRow(batch, (values, bodies) => {
        const offset = n * COLUMNS;
        for (let i = 0; i < COLUMNS; i++) group[offset + i] = values[i] as SQLInputValue;
        storePayload(values, bodies);
        if (++n === GROUP) {
          insertGroup.run(...group);
          n = 0;
        }
      });
      for (let r = 0; r < n; r++) insertOne.run(...group.slice(r * COLUMNS, (r + 1) * COLUMNS));
    });

  /**
   * The batch again, a row at a time behind a savepoint, dropping the rows SQLite refuses: the
   * writer retries a failed batch until it is stored, so one row SQLite cannot take (one from an
   * older version's journal, say) would otherwise keep every later row out.
   */
  const storeEach = (batch: EncodedBatch): Refusal | undefined => {
    const refusal: Refusal = { ids: [], reason: '' };
    inTransaction(() =>
      forEachEncodedRow(batch, (values, bodies) => {
        raw.exec('SAVEPOINT log_row');
        try {
          insertOne.run(...(values as SQLInputValue[]));
          storePayload(values, bodies);
        } catch (err) {
          if (!refusesData(err)) throw err;
          raw.exec('ROLLBACK TO log_row');
          refusal.ids.push(String(values[ID]));
          refusal.reason ||= (err as Error).message;
        }
        raw.exec('RELEASE log_row');
      }),
    );
    if (refusal.ids.length === 0) return undefined;
    opts.onRefused?.(refusal);
    return refusal;
  };

  const insertEncoded = (batch: EncodedBatch): Refusal | undefined => {
    try {
      storeAll(batch);
      return undefined;
    } catch (err) {
      if (!refusesData(err)) throw err;
      return storeEach(batch);
    }
  };
  return {
    insertEncoded,
    async insert(rows) {
      return insertEncoded(encodeBatch(rows))?.ids;
    },
  };
}
