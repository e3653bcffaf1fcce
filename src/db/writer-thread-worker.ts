import type { StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedBatch } from '../logs/batch-codec.ts';
import { type SqliteLogSink, sqliteLogSink } from '../logs/sqlite-sink.ts';
import { runStatement } from './run-statement.ts';
import { openSqliteFile } from './sqlite-file.ts';

/**
 * Runs on the SQLite writer thread (writer-thread.ts): `PRAGMA wal_checkpoint(PASSIVE)` (which
 * never blocks writers) every `checkpointIntervalMs`, and each log batch it is sent in one
 * transaction, answered `{ id }` once committed or `{ id, error }`; and each statement it is sent
 * (the logs API's and analytics' queries), answered with its rows or its changes. Messages are
 * handled one at a time: node:sqlite is synchronous.
 */
const { path, checkpointIntervalMs, autocheckpoint } = workerData as {
  path: string;
  checkpointIntervalMs: number;
  autocheckpoint: number;
};
const raw = openSqliteFile(path);
raw.exec(`PRAGMA wal_autocheckpoint = ${autocheckpoint};`);
parentPort?.postMessage({ ready: true });
// Prepared on the first batch: the thread starts before anything needs the logs table to exist.
let logs: SqliteLogSink | undefined;
const statements = new Map<string, StatementSync>();

function prepared(sql: string): StatementSync {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = raw.prepare(sql);
    if (statements.size > 500) statements.clear();
    statements.set(sql, stmt);
  }
  return stmt;
}

const checkpoint = () => {
  // Inside a transaction (a logs DELETE, a chunk of a trim, sent a statement at a time) SQLite
  // refuses with "database table is locked"; the next interval finds it committed.
  if (raw.isTransaction) return;
  try {
    raw.exec('PRAGMA wal_checkpoint(PASSIVE);');
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
};
const timer = setInterval(checkpoint, checkpointIntervalMs);

type Message =
  | { id: number; batch: EncodedBatch }
  | { id: number; sql: string; parameters: unknown[] }
  | 'stop';

parentPort?.on('message', (message: Message) => {
  if (message === 'stop') {
    clearInterval(timer);
    checkpoint();
    raw.close();
    parentPort?.close();
    return;
  }
  const { id } = message;
  try {
    if ('sql' in message) {
      parentPort?.postMessage({ id, result: runStatement(prepared(message.sql), message.parameters) });
      return;
    }
    logs ??= sqliteLogSink(raw);
    parentPort?.postMessage({ id, result: logs.insertEncoded(message.batch) });
  } catch (err) {
    const e = err as Error & { code?: unknown; errcode?: unknown; errstr?: unknown };
    parentPort?.postMessage({
      id,
      error: e.message,
      details: { code: e.code, errcode: e.errcode, errstr: e.errstr },
    });
  }
});
