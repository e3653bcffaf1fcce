import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { LOG_DEFAULTS } from './log-columns.ts';
import type { LogRow } from './writer.ts';

/** A row as one JSON line; bodies as base64 so the line stays text. */
function encode(row: LogRow): string {
  const { payload, ...rest } = row;
  return JSON.stringify({
    ...rest,
    ...(payload
      ? {
          payload: {
            request: payload.request?.toString('base64') ?? null,
            response: payload.response?.toString('base64') ?? null,
            requestTruncated: payload.requestTruncated,
            responseTruncated: payload.responseTruncated,
          },
        }
      : {}),
  });
}

function decode(line: string): LogRow {
  const o = { ...LOG_DEFAULTS, ...JSON.parse(line) } as LogRow & {
    payload?: {
      request: string | null;
      response: string | null;
      requestTruncated: boolean;
      responseTruncated: boolean;
    };
  };
  if (!o.payload) return o as LogRow;
  const p = o.payload;
  return {
    ...o,
    payload: {
      request: p.request === null ? null : Buffer.from(p.request, 'base64'),
      response: p.response === null ? null : Buffer.from(p.response, 'base64'),
      requestTruncated: p.requestTruncated,
      responseTruncated: p.responseTruncated,
    },
  };
}

/**
 * Where log rows go when the writer's queue is full (the database is slow or away): appended to a
 * file, one JSON line each, written synchronously so a row that left the queue is on disk. The
 * writer stores them once the database keeps up again, and at the next start; then the file goes.
 *
 * The file stays open between appends: opening and closing it for each row tripled the system
 * calls on the request thread, at the moment the gateway is busiest. A file removed by hand while
 * open takes what is appended after it (those rows are discarded with it).
 */
export class LogJournal {
  readonly #path: string;
  readonly #taken: string;
  #fd: number | undefined;
  /** The file's length after the last whole line, to cut a line a failed write left half-written. */
  #size = 0;

  constructor(path: string) {
    this.#path = path;
    this.#taken = `${path}.replaying`;
  }

  append(row: LogRow): void {
    const line = Buffer.from(`${encode(row)}\n`);
    if (this.#fd === undefined) {
      this.#fd = openSync(this.#path, 'a', 0o600);
      this.#size = fstatSync(this.#fd).size;
    }
    let written = 0;
    try {
      while (written < line.length) written += writeSync(this.#fd, line, written);
    } catch (err) {
      // Half a line would swallow the next row's line too (the two read as one, unparseable).
      if (written > 0) {
        try {
          ftruncateSync(this.#fd, this.#size);
        } catch {
          // The replay skips a line it cannot parse.
        }
      }
      throw err;
    }
    this.#size += line.length;
  }

  /** Closes the file (it is opened again by the next append). */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Whether rows are waiting: spilled since the last replay, or left by one cut short. */
  get waiting(): boolean {
    return existsSync(this.#path) || existsSync(this.#taken);
  }

  /**
   * The journal's rows, `size` at a time, read as they are needed so a large journal is never
   * all in memory (a line cut short by a crash is skipped). The file is moved aside first, so rows
   * spilled meanwhile go to a fresh journal; a replay cut short is taken up again from its start
   * next time (stores skip ids already stored). Call `done` once every batch is stored.
   */
  async *batches(size: number): AsyncGenerator<LogRow[]> {
    if (!existsSync(this.#taken)) {
      if (!existsSync(this.#path)) return;
      // Rows appended from here on go to a new file, not to the one being read.
      this.close();
      renameSync(this.#path, this.#taken);
    }
    const lines = createInterface({ input: createReadStream(this.#taken, 'utf8'), crlfDelay: Infinity });
    let batch: LogRow[] = [];
    for await (const line of lines) {
      if (!line) continue;
      try {
        batch.push(decode(line));
      } catch {
        continue; // the last line of a process killed mid-write
      }
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** The replay taken by `batches` is stored: remove it. */
  done(): void {
    rmSync(this.#taken, { force: true });
  }
}
