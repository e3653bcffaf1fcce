import type { Insertable } from 'kysely';
import type { LogsTable } from '../db/tables.ts';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { settleWithin } from '../util/settle-within.ts';
import type { LogJournal } from './journal.ts';

/** Request and response bodies kept with a log (capped), stored apart from the rows analytics scan. */
export interface LogPayload {
  request: Buffer | null;
  response: Buffer | null;
  requestTruncated: boolean;
  responseTruncated: boolean;
}

export type LogRow = Omit<Insertable<LogsTable>, 'seq'> & { payload?: LogPayload | undefined };

/** Rows of a batch the database refused for their data and that were dropped, with its reason for the first. */
export interface Refusal {
  ids: string[];
  reason: string;
}

/** Where batches go: one transaction per call, all rows or none. */
export interface LogSink {
  /**
   * Stores the rows, or fails with nothing stored. Resolves with the ids of rows the database
   * refused for their data and that were dropped, if any (see the SQLite and Postgres sinks).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a sink that never refuses a row returns nothing.
  insert(rows: LogRow[]): Promise<readonly string[] | void>;
}

/** The default bound of the queue, in the bytes its rows hold (`logs.max_queue_bytes`). */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** What a row holds besides its heads and bodies, roughly: the object, its ids and short strings. */
const ROW_BYTES = 1024;
/** A database that stays down fails every flush, a full disk every spilled row: reported this often. */
const REPORT_EVERY_MS = 60_000;

/**
 * What a queued row holds, roughly. Bodies are the bulk when kept (up to `logs.max_body_bytes`
 * each), so the queue is bounded in bytes: a bound in rows would let a slow database and long
 * prompts take all the memory there is.
 */
export function queuedBytes(row: LogRow): number {
  const p = row.payload;
  return (
    ROW_BYTES +
    (row.request_head?.length ?? 0) +
    (row.response_head?.length ?? 0) +
    (row.metadata?.length ?? 0) +
    (p ? (p.request?.length ?? 0) + (p.response?.length ?? 0) : 0)
  );
}

const bytesOf = (rows: readonly LogRow[]) => {
  let n = 0;
  for (const row of rows) n += queuedBytes(row);
  return n;
};

/**
 * Log rows go to a queue and a timer writes them in batches, one transaction each, so no request
 * ever waits on the database. `stop()` writes whatever is left (SIGTERM path).
 *
 * Past `maxQueueBytes` rows go to the journal on disk. A row the journal cannot take either (the
 * disk is full) is dropped and counted: logging never fails or holds a request.
 */
export class LogWriter {
  readonly #sink: LogSink;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  #queue: LogRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #onError: (err: unknown) => void;
  readonly #onNotice: (message: string) => void;
  /** A database that comes and goes (a disk nearly full) recovers as often as it fails. */
  readonly #reportRecovery: (message: string) => void;
  readonly #maxQueueBytes: number;
  #queueBytes = 0;
  readonly #journal: LogJournal | undefined;
  #spilled = 0;
  #dropped = 0;
  readonly #reportDrop: (message: string) => void;
  readonly #reportFailure: (message: string) => void;
  /** When the sink began failing, while it does: a later success is reported as a recovery. */
  #failingSince: number | undefined;
  /** The journal replay under way, if any. */
  #replay: Promise<number> | undefined;
  #stopping = false;
  /** Rows went to the journal since it was last stored (a flag, not a stat() on every drain). */
  #journalWaiting = false;
  /** The batch the sink is storing now, so `stop` can journal it if the database never answers. */
  #writing: LogRow[] | undefined;
  #listeners: Array<(rows: readonly LogRow[]) => void> = [];

  constructor(
    sink: LogSink,
    opts: {
      flushIntervalMs: number;
      batchSize: number;
      onError: (err: unknown) => void;
      /** Told what went back to normal: the sink storing again after failing, a journal stored. */
      onNotice?: (message: string) => void;
      /** The bytes queued rows may hold (see queuedBytes); more go to the journal. */
      maxQueueBytes?: number;
      journal?: LogJournal;
    },
  ) {
    this.#maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.#journal = opts.journal;
    this.#reportFailure = atMostEvery(REPORT_EVERY_MS, (message, times) =>
      opts.onError(new Error(`${message}${sinceLastReport(times, 'failed writes')}`)),
    );
    this.#reportDrop = atMostEvery(REPORT_EVERY_MS, (message, times) =>
      opts.onError(
        new Error(
          `${times} log row${times === 1 ? '' : 's'} dropped: the database is behind and the journal cannot be written (${message})`,
        ),
      ),
    );
    this.#sink = sink;
    this.#intervalMs = opts.flushIntervalMs;
    this.#batchSize = opts.batchSize;
    this.#onError = opts.onError;
    this.#onNotice = opts.onNotice ?? (() => undefined);
    this.#reportRecovery = atMostEvery(REPORT_EVERY_MS, (message) => this.#onNotice(message));
  }

  /** Rows not stored yet: queued, and in the batch being written. */
  get pending(): number {
    return this.#queue.length + (this.#writing?.length ?? 0);
  }

  /** Called with each batch once it is stored (live tail, metrics). */
  onWritten(listener: (rows: readonly LogRow[]) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Starts the timer. A journal an earlier run left is stored from the first flush on, behind the
   * new rows: the start does not wait for it (a long outage can leave millions of rows).
   */
  start(): void {
    if (this.#journal?.waiting) this.#journalWaiting = true;
    this.#timer ??= setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Rows sent to the journal since start. */
  get spilled(): number {
    return this.#spilled;
  }

  /** Rows lost since start: neither the database nor the journal could take them. */
  get dropped(): number {
    return this.#dropped;
  }

  enqueue(row: LogRow): void {
    const bytes = queuedBytes(row);
    if (this.#queueBytes + bytes > this.#maxQueueBytes && this.#journal) {
      // The database is not keeping up: on disk, not growing the heap.
      this.#spill(this.#journal, row);
      return;
    }
    this.#queue.push(row);
    this.#queueBytes += bytes;
    // A full batch goes now, and so do rows holding a quarter of the bound: large bodies (long
    // prompts, 1 MB each at most by default) filled the bound before a batch or the timer came,
    // and went to the journal, on this thread, while the database had time to spare.
    const due = this.#queue.length >= this.#batchSize || this.#queueBytes >= this.#maxQueueBytes / 4;
    if (due && !this.#flushing) void this.flush();
  }

  /** Whether the row is on disk; if not, it is counted as dropped (and reported, now and then). */
  #spill(journal: LogJournal, row: LogRow): boolean {
    try {
      journal.append(row);
    } catch (err) {
      this.#dropped++;
      this.#reportDrop((err as Error).message);
      return false;
    }
    this.#spilled++;
    this.#journalWaiting = true;
    return true;
  }

  /** Writes everything queued so far; a call during a flush runs after it, for the rows since. */
  flush(): Promise<void> {
    const previous = this.#flushing;
    const done: Promise<void> = (previous ? previous.then(() => this.#drain()) : this.#drain()).finally(
      () => {
        if (this.#flushing === done) this.#flushing = undefined;
      },
    );
    this.#flushing = done;
    return done;
  }

  /**
   * Stores the journal's rows: what an earlier run left (at start), or what was spilled while the
   * database was behind (called by the writer once it has caught up). Returns how many were read.
   */
  async replayJournal(): Promise<number> {
    const journal = this.#journal;
    if (!journal || this.#replay) return 0;
    const replay = (async () => {
      let n = 0;
      // A replay cut short is taken up first; rows spilled meanwhile wait in a fresh file, next.
      while (journal.waiting && !this.#stopping) {
        for await (const batch of journal.batches(this.#batchSize)) {
          // Stopping: the rest stays on disk for the next start (stores skip ids already stored).
          if (this.#stopping) return n;
          await this.#sink.insert(batch);
          n += batch.length;
        }
        journal.done();
      }
      return n;
    })();
    this.#replay = replay;
    try {
      return await replay;
    } finally {
      this.#replay = undefined;
    }
  }

  /**
   * Writes everything left. With a journal, what the database does not take goes there, for the
   * next start: rows it refused (it is down), and, with `spillAfterMs`, everything it has not
   * stored by then (it hangs, or sits behind a partition), the batch being written included. That
   * batch may still commit in the meantime; both sinks skip an id already stored, so the replay
   * stores each row once.
   */
  async stop(opts: { spillAfterMs?: number } = {}): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping = true;
    // A journal replay under way ends after its current batch.
    const replay = this.#replay?.catch(() => undefined);
    const flushed = Promise.all([
      replay,
      this.flush().then(() => (this.#queue.length > 0 ? this.flush() : undefined)),
    ]).then(() => undefined);
    const journal = this.#journal;
    if (!journal) return flushed;
    let inTime = true;
    if (opts.spillAfterMs === undefined) await flushed;
    else inTime = await settleWithin(flushed, opts.spillAfterMs);
    const rows = [...(inTime ? [] : (this.#writing ?? [])), ...this.#queue];
    this.#queue = [];
    this.#queueBytes = 0;
    this.#writing = undefined;
    let kept = 0;
    for (const row of rows) if (this.#spill(journal, row)) kept++;
    journal.close();
    if (rows.length === 0) return;
    const why = inTime
      ? 'the database refused the last log rows'
      : `the database had not stored the last log rows after ${opts.spillAfterMs} ms`;
    const lost = rows.length - kept;
    this.#onError(
      new Error(
        `${why}; ${kept} rows went to the journal, for the next start${lost > 0 ? `; ${lost} could not be written there and are lost` : ''}`,
      ),
    );
  }

  async #drain(): Promise<void> {
    // Only the rows queued when the flush began: with a sink on another thread, rows keep arriving
    // while a batch is stored, and chasing them would send a stream of small batches (a commit each)
    // instead of full ones. Later rows wait for the next full batch or the timer.
    let remaining = this.#queue.length;
    while (remaining > 0 && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, Math.min(this.#batchSize, remaining));
      // Its bytes count against the bound until it is stored: a batch being written holds its
      // memory as much as one waiting.
      const bytes = bytesOf(batch);
      remaining -= batch.length;
      this.#writing = batch;
      let refused: Awaited<ReturnType<LogSink['insert']>>;
      let ours: boolean;
      try {
        refused = await this.#sink.insert(batch);
      } catch (err) {
        // Put the batch back so a passing fault (a locked file) loses nothing; report it. Unless
        // `stop` has given up on it and journaled it meanwhile.
        if (this.#writing === batch) this.#queue.unshift(...batch);
        this.#failingSince ??= Date.now();
        this.#reportFailure((err as Error).message);
        return;
      } finally {
        ours = this.#writing === batch;
        if (ours) this.#writing = undefined;
      }
      if (ours) this.#queueBytes -= bytes;
      if (this.#failingSince !== undefined) {
        const seconds = Math.round((Date.now() - this.#failingSince) / 1000);
        this.#failingSince = undefined;
        this.#reportRecovery(`the database takes log rows again, after ${seconds} s of failed writes`);
      }
      // The live tail announces what is stored, not the rows the database refused.
      const stored = refused && refused.length > 0 ? batch.filter((r) => !refused.includes(r.id)) : batch;
      for (const l of this.#listeners) l(stored);
    }
    // Caught up (less than a batch left: under steady traffic the queue is never quite empty):
    // what was spilled while the database was behind, or left by an earlier run, can go in now.
    if (this.#journalWaiting && this.#queue.length < this.#batchSize && !this.#stopping && !this.#replay) {
      this.#journalWaiting = false;
      this.replayJournal().then(
        (n) => {
          if (n > 0) this.#onNotice(`stored ${n} log rows from the journal`);
          // Rows spilled while this replay ran wait in a fresh journal, for the next catch-up.
          if (this.#journal?.waiting && !this.#stopping) this.#journalWaiting = true;
        },
        (err: unknown) => {
          this.#journalWaiting = true;
          this.#reportFailure((err as Error).message);
        },
      );
    }
  }
}
