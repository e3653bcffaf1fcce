import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
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
  const o = JSON.parse(line) as LogRow & {
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
 * file, one JSON line each, written synchronously so a row that left the queue is on disk. On the
 * next start the rows are read back and stored, then the file is removed.
 */
export class LogJournal {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  append(row: LogRow): void {
    appendFileSync(this.#path, `${encode(row)}\n`, { mode: 0o600 });
  }

  /**
   * Takes the journal's rows (a line cut short by a crash is skipped). The file is moved aside
   * first, so rows spilled while these are being stored go to a fresh journal.
   */
  take(): { rows: LogRow[]; done(): void } {
    if (!existsSync(this.#path)) return { rows: [], done() {} };
    const taken = `${this.#path}.replaying`;
    if (!existsSync(taken)) renameSync(this.#path, taken);
    const rows: LogRow[] = [];
    for (const line of readFileSync(taken, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        rows.push(decode(line));
      } catch {
        // The last line of a process killed mid-write.
      }
    }
    return { rows, done: () => rmSync(taken, { force: true }) };
  }
}
