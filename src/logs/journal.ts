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
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LOG_DEFAULTS } from './log-columns.ts';
import type { LogRow } from './writer.ts';

/** Where a row's bodies lie in the bodies file: offset and length of each, -1 for none. */
type BodyPlaces = [requestAt: number, requestLength: number, responseAt: number, responseLength: number];

/** A row as one JSON line; its bodies, if any, are in the bodies file at `places`. */
function encode(row: LogRow, places: BodyPlaces | undefined): string {
  const { payload, ...rest } = row;
  return JSON.stringify({
    ...rest,
    ...(payload && places
      ? {
          payload: {
            at: places,
            requestTruncated: payload.requestTruncated,
            responseTruncated: payload.responseTruncated,
          },
        }
      : {}),
  });
}

/** What a line holds: the row, and where its bodies are (or, as older versions wrote, the bodies in base64). */
interface Line {
  row: LogRow;
  places?: BodyPlaces;
}

function decode(line: string): Line {
  const o = { ...LOG_DEFAULTS, ...JSON.parse(line) } as LogRow & {
    payload?: {
      at?: BodyPlaces;
      request?: string | null;
      response?: string | null;
      requestTruncated: boolean;
      responseTruncated: boolean;
    };
  };
  const p = o.payload;
  if (!p) return { row: o as LogRow };
  const flags = { requestTruncated: p.requestTruncated, responseTruncated: p.responseTruncated };
  if (p.at) return { row: { ...o, payload: { request: null, response: null, ...flags } }, places: p.at };
  const base64 = (b: string | null | undefined) => (typeof b === 'string' ? Buffer.from(b, 'base64') : null);
  return { row: { ...o, payload: { request: base64(p.request), response: base64(p.response), ...flags } } };
}

/** Writes all of `bytes` at the end of an open file, or cuts it back to `size` and throws. */
function appendAll(fd: number, bytes: Buffer, size: number): void {
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch (err) {
    // Half a line would swallow the next row's line too (the two read as one, unparseable); half
    // a body is only bytes no line names, but the file need not keep them.
    if (written > 0) {
      try {
        ftruncateSync(fd, size);
      } catch {
        // The replay skips a line it cannot parse.
      }
    }
    throw err;
  }
}

/** A file kept open for appending, and its length after the last whole write. */
class AppendFile {
  readonly path: string;
  #fd: number | undefined;
  #size = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** The file's length, opening it if need be (it may hold what an earlier run appended). */
  end(): number {
    this.#opened();
    return this.#size;
  }

  /** Appends `bytes` whole, or not at all; returns where they start. */
  append(bytes: Buffer): number {
    const fd = this.#opened();
    const at = this.#size;
    appendAll(fd, bytes, at);
    this.#size += bytes.length;
    return at;
  }

  #opened(): number {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.path, 'a', 0o600);
      this.#size = fstatSync(this.#fd).size;
    }
    return this.#fd;
  }

  /** Cuts the file back to `size` (what a row that could not be journaled whole had written). */
  cut(size: number): void {
    if (this.#fd === undefined || size >= this.#size) return;
    try {
      ftruncateSync(this.#fd, size);
      this.#size = size;
    } catch {
      // Unreferenced bytes: harmless.
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Where log rows go when the writer's queue is full (the database is slow or away): appended to a
 * file, one JSON line each, their bodies as they are to a second file beside it, written
 * synchronously so a row that left the queue is on disk. The writer stores them once the database
 * keeps up again, and at the next start; then the files go.
 *
 * The files stay open between appends: opening and closing one for each row tripled the system
 * calls on the request thread, at the moment the gateway is busiest. A file removed by hand while
 * open takes what is appended after it (those rows are discarded with it).
 */
export class LogJournal {
  readonly #lines: AppendFile;
  readonly #bodies: AppendFile;
  readonly #taken: string;

  constructor(path: string) {
    this.#lines = new AppendFile(path);
    this.#bodies = new AppendFile(bodiesOf(path));
    this.#taken = `${path}.replaying`;
  }

  append(row: LogRow): void {
    let bodiesBefore: number | undefined;
    let places: BodyPlaces | undefined;
    try {
      const p = row.payload;
      if (p) {
        bodiesBefore = this.#bodies.end();
        const put = (b: Buffer | null): [number, number] =>
          b ? [this.#bodies.append(b), b.length] : [-1, 0];
        places = [...put(p.request), ...put(p.response)];
      }
      this.#lines.append(Buffer.from(`${encode(row, places)}\n`));
    } catch (err) {
      if (bodiesBefore !== undefined) this.#bodies.cut(bodiesBefore);
      throw err;
    }
  }

  /** Closes the files (they are opened again by the next append). */
  close(): void {
    this.#lines.close();
    this.#bodies.close();
  }

  /** Whether rows are waiting: spilled since the last replay, or left by one cut short. */
  get waiting(): boolean {
    return existsSync(this.#lines.path) || existsSync(this.#taken);
  }

  /**
   * The journal's rows, `size` at a time, read as they are needed so a large journal is never
   * all in memory (a line cut short by a crash is skipped). The files are moved aside first, so
   * rows spilled meanwhile go to a fresh journal; a replay cut short is taken up again from its
   * start next time (stores skip ids already stored). Call `done` once every batch is stored.
   */
  async *batches(size: number): AsyncGenerator<LogRow[]> {
    if (!existsSync(this.#taken)) {
      if (!existsSync(this.#lines.path)) return;
      // Rows appended from here on go to new files, not to the ones being read.
      this.close();
      if (existsSync(this.#bodies.path)) renameSync(this.#bodies.path, bodiesOf(this.#taken));
      renameSync(this.#lines.path, this.#taken);
    }
    const bodies = await open(bodiesOf(this.#taken), 'r').catch(() => undefined);
    try {
      const read = async (at: number, length: number): Promise<Buffer | null> => {
        if (at < 0) return null;
        if (!bodies) throw new Error('the journal has lost its bodies file');
        const b = Buffer.allocUnsafe(length);
        const { bytesRead } = await bodies.read(b, 0, length, at);
        if (bytesRead !== length) throw new Error('the journal bodies file is cut short');
        return b;
      };
      const lines = createInterface({ input: createReadStream(this.#taken, 'utf8'), crlfDelay: Infinity });
      let batch: LogRow[] = [];
      for await (const text of lines) {
        if (!text) continue;
        let line: Line;
        try {
          line = decode(text);
          if (line.places && line.row.payload) {
            const [requestAt, requestLength, responseAt, responseLength] = line.places;
            line.row.payload.request = await read(requestAt, requestLength);
            line.row.payload.response = await read(responseAt, responseLength);
          }
        } catch {
          continue; // the last line of a process killed mid-write
        }
        batch.push(line.row);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      await bodies?.close();
    }
  }

  /** The replay taken by `batches` is stored: remove it. */
  done(): void {
    rmSync(this.#taken, { force: true });
    rmSync(bodiesOf(this.#taken), { force: true });
  }
}

/** Where a journal keeps its rows' bodies, as they are: base64 in the line cost ~7 ms a row of 1 MB. */
const bodiesOf = (path: string) => `${path}.bodies`;
