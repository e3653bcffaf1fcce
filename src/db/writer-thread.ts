import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { EncodedBatch } from '../logs/batch-codec.ts';
import type { Refusal } from '../logs/writer.ts';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import type { StatementResult } from './run-statement.ts';

/** WAL pages after which a connection checkpoints inside its own commit (the thread's safety net). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;
/** Checkpoints run every second; one that keeps failing (a full disk) is reported this often. */
const CHECKPOINT_REPORT_EVERY_MS = 60_000;
/** A thread that ends is started again after this, doubled (up to the most) while it dies as it starts. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 300_000;
/** A thread that ran this long had started well: its end is reported, and it is started again soon. */
const SETTLED_MS = 10_000;

/** A thread that stores log batches, off the thread that serves requests. */
export interface LogThread {
  /** False while the thread is gone (it is started again): log batches must then be written on this thread. */
  readonly alive: boolean;
  /**
   * Stores a log batch there, one transaction; resolves with the rows the database refused, if
   * any; rejects with its error, or if the thread stops.
   */
  insertLogs(batch: EncodedBatch): Promise<Refusal | undefined>;
  /** Its last work done, then the thread and its connection end. */
  stop(): Promise<void>;
}

export interface WriterThread extends LogThread {
  /**
   * Runs one statement on the thread's connection. Rejects with the error SQLite gave (its `code`,
   * `errcode` and `errstr` kept), or if the thread stops.
   */
  query(sql: string, parameters: readonly unknown[]): Promise<StatementResult>;
}

/** The thread's answer to a message with an id; without one, a report of its own (a failed checkpoint). */
interface WorkerAnswer {
  id?: number;
  /** Sent once the thread has opened the database. */
  ready?: boolean;
  result?: unknown;
  error?: string;
  /** The error's code (node:sqlite's or Postgres's SQLSTATE), for callers that tell a locked database from a bad query. */
  details?: { code?: unknown; errcode?: unknown; errstr?: unknown };
}

/**
 * The SQLite file's background thread, with its own connection, for the jobs that would otherwise
 * stall every request on this one: WAL checkpoints (SQLite runs them inside whichever commit
 * crosses `wal_autocheckpoint`, and their fsync blocks), done on a timer instead; log batches (the
 * rows, their indexes, the bodies and their compression); and the logs API's and analytics'
 * queries, which at a million rows scan for up to seconds (node:sqlite is synchronous). One thread
 * for all: each costs ~24 MB of memory (a V8 isolate that loads the TypeScript modules it runs).
 */
export function startWriterThread(
  raw: DatabaseSync,
  path: string,
  checkpointIntervalMs: number,
  onError: (message: string) => void,
): WriterThread {
  // Should the thread stop, this still bounds the WAL.
  raw.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES};`);
  const checkpointFailed = atMostEvery(CHECKPOINT_REPORT_EVERY_MS, (message, times) =>
    onError(`WAL checkpoint: ${message}${sinceLastReport(times, 'failed checkpoints')}`),
  );
  return startDatabaseThread({
    script: new URL('./writer-thread-worker.ts', import.meta.url),
    workerData: { path, checkpointIntervalMs, autocheckpoint: FALLBACK_AUTOCHECKPOINT_PAGES },
    name: 'SQLite writer thread',
    backOnIt: 'logs and log queries are back on it',
    onError,
    onReport: checkpointFailed,
  });
}

/** What differs between the database threads: the script, its data, and how it is named. */
export interface DatabaseThreadSpec {
  script: URL;
  workerData: unknown;
  /** As the process log names it: "SQLite writer thread". */
  name: string;
  /** What its return means, for the process log: "logs and log queries are back on it". */
  backOnIt: string;
  onError: (message: string) => void;
  /** A report the thread sends of its own accord (a failed checkpoint, a lost connection). */
  onReport: (message: string) => void;
}

/**
 * A worker thread that answers messages with ids, started again when it ends (soon if it had run
 * a while, less and less often if it dies as it starts). Its messages: `{ id, batch }` (a log
 * batch), `{ id, sql, parameters }` (a statement, where the script runs them), and `'stop'`.
 */
export function startDatabaseThread(spec: DatabaseThreadSpec): WriterThread {
  const { onError } = spec;
  const pending = new Map<number, { resolve: (value: never) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let worker: Worker;
  let alive = false;
  let stopping = false;
  let startedAt = 0;
  let restarts = 0;
  let restartDelay = RESTART_MIN_MS;
  let restartTimer: NodeJS.Timeout | undefined;

  const end = (err: Error) => {
    if (!alive) return;
    alive = false;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    if (stopping) return;
    // A thread that ran a while died of something passing (a query too big for its heap): start
    // again soon. One that dies as it starts (a database it cannot open) is tried less and less often.
    const lived = Date.now() - startedAt;
    const settled = restarts === 0 || lived >= SETTLED_MS;
    restartDelay = settled ? RESTART_MIN_MS : Math.min(restartDelay * 2, RESTART_MAX_MS);
    if (settled)
      onError(
        `${spec.name} stopped (${err.message}); writing logs on the main thread, starting it again in ${Math.round(restartDelay / 1000)} s`,
      );
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      restarts++;
      spawn();
    }, restartDelay);
    restartTimer.unref();
  };
  const onMessage = (m: WorkerAnswer) => {
    if (m.id === undefined) {
      if (m.ready && restarts > 0) onError(`${spec.name} running again; ${spec.backOnIt}`);
      else if (m.error) spec.onReport(m.error);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0 && !stopping) worker.unref();
    if (m.error === undefined) p.resolve(m.result as never);
    else p.reject(Object.assign(new Error(m.error), m.details));
  };
  const spawn = () => {
    const w = new Worker(spec.script, {
      workerData: spec.workerData,
      // Its heap holds one batch's rows at a time (bodies are outside it, in the transferred
      // buffer). Out of memory it ends, logs are written on the main thread, and it starts again.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
    });
    // Idle, it must not keep the process up; with batches in flight or while stopping it must.
    w.unref();
    // A thread that ended may still report its exit after the next one started.
    w.on('message', (m: WorkerAnswer) => w === worker && onMessage(m));
    w.on('error', (err) => w === worker && end(err));
    w.on('exit', (code) => w === worker && end(new Error(`exit code ${code}`)));
    worker = w;
    alive = true;
    startedAt = Date.now();
  };
  spawn();

  const send = <T>(message: object, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (!alive) return Promise.reject(new Error(`the ${spec.name} has stopped`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: never) => void, reject });
      worker.ref();
      worker.postMessage({ id, ...message }, transfer);
    });
  };

  return {
    get alive() {
      return alive;
    },
    insertLogs(batch) {
      return send<Refusal | undefined>({ batch }, [batch.columns, batch.bodies]);
    },
    query(sql, parameters) {
      return send<StatementResult>({ sql, parameters });
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      if (!alive) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage('stop');
      // A thread stuck in a write must not hold shutdown forever.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
