import type { Insertable } from 'kysely';
import type { LogsTable } from '../db/tables.ts';
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

/** Where batches go: one transaction per call, all rows or none. */
export interface LogSink {
  insert(rows: LogRow[]): Promise<void>;
}

/**
 * Log rows go to a queue and a timer writes them in batches, one transaction each, so no request
 * ever waits on the database. `stop()` writes whatever is left (SIGTERM path).
 */
export class LogWriter {
  readonly #sink: LogSink;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  #queue: LogRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #onError: (err: unknown) => void;
  readonly #maxQueue: number;
  readonly #journal: LogJournal | undefined;
  #spilled = 0;
  #replaying = false;
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
      /** Rows held in memory at most; more go to the journal. */
      maxQueue?: number;
      journal?: LogJournal;
    },
  ) {
    this.#maxQueue = opts.maxQueue ?? 100_000;
    this.#journal = opts.journal;
    this.#sink = sink;
    this.#intervalMs = opts.flushIntervalMs;
    this.#batchSize = opts.batchSize;
    this.#onError = opts.onError;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Called with each batch once it is stored (live tail, metrics). */
  onWritten(listener: (rows: readonly LogRow[]) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Rows sent to the journal since start. */
  get spilled(): number {
    return this.#spilled;
  }

  enqueue(row: LogRow): void {
    if (this.#queue.length >= this.#maxQueue && this.#journal) {
      // The database is not keeping up: on disk, not dropped, and not growing the heap.
      this.#journal.append(row);
      this.#spilled++;
      this.#journalWaiting = true;
      return;
    }
    this.#queue.push(row);
    if (this.#queue.length >= this.#batchSize && !this.#flushing) void this.flush();
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
    if (!journal || this.#replaying) return 0;
    this.#replaying = true;
    let n = 0;
    try {
      for await (const batch of journal.batches(this.#batchSize)) {
        await this.#sink.insert(batch);
        n += batch.length;
      }
      journal.done();
    } finally {
      this.#replaying = false;
    }
    return n;
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
    const flushed = this.flush().then(() => (this.#queue.length > 0 ? this.flush() : undefined));
    const journal = this.#journal;
    if (!journal) return flushed;
    let inTime = true;
    if (opts.spillAfterMs === undefined) await flushed;
    else inTime = await settleWithin(flushed, opts.spillAfterMs);
    const rows = [...(inTime ? [] : (this.#writing ?? [])), ...this.#queue];
    this.#queue = [];
    this.#writing = undefined;
    if (rows.length === 0) return;
    for (const row of rows) journal.append(row);
    this.#spilled += rows.length;
    const why = inTime
      ? 'the database refused the last log rows'
      : `the database had not stored the last log rows after ${opts.spillAfterMs} ms`;
    this.#onError(new Error(`${why}; ${rows.length} rows went to the journal, for the next start`));
  }

  async #drain(): Promise<void> {
    // Only the rows queued when the flush began: with a sink on another thread, rows keep arriving
    // while a batch is stored, and chasing them would send a stream of small batches (a commit each)
    // instead of full ones. Later rows wait for the next full batch or the timer.
    let remaining = this.#queue.length;
    while (remaining > 0 && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, Math.min(this.#batchSize, remaining));
      remaining -= batch.length;
      this.#writing = batch;
      try {
        await this.#sink.insert(batch);
      } catch (err) {
        // Put the batch back so a passing fault (a locked file) loses nothing; report it. Unless
        // `stop` has given up on it and journaled it meanwhile.
        if (this.#writing === batch) this.#queue.unshift(...batch);
        this.#onError(err);
        return;
      } finally {
        if (this.#writing === batch) this.#writing = undefined;
      }
      for (const l of this.#listeners) l(batch);
    }
    // Caught up: what was spilled while the database was behind can go in now, not at next start.
    if (this.#journalWaiting && this.#queue.length === 0 && !this.#stopping && !this.#replaying) {
      this.#journalWaiting = false;
      this.replayJournal().then(
        () => {
          // Rows spilled while this replay ran wait in a fresh journal, for the next catch-up.
          if (this.#journal?.waiting) this.#journalWaiting = true;
        },
        (err: unknown) => {
          this.#journalWaiting = true;
          this.#onError(err);
        },
      );
    }
  }
}
