import { LOG_COLUMNS } from './log-columns.ts';
import { STORED_RAW } from './payload.ts';
import type { LogRow } from './writer.ts';

/**
 * A batch of log rows as it crosses to the SQLite writer thread, both parts transferred, not
 * cloned (a clone copies each body's whole backing store, for a small Buffer Node's shared 8 KB
 * pool):
 * - `columns`: UTF-8 text, one JSON array per row, a line each: the LOG_COLUMNS values, then for a
 *   row with bodies where each lies in `bodies` (offset or -1, length) and the truncated flags.
 * - `bodies`: every body, each after a STORED_RAW byte, so that the writer binds a small body
 *   where it lies.
 * The writer parses and stores one row at a time: no row outlives its own insert, so its
 * collector finds little alive when it runs, where a whole parsed batch made each of its
 * scavenges copy the batch.
 */
export interface EncodedBatch {
  columns: ArrayBuffer;
  bodies: ArrayBuffer;
}

/** A row's bodies as the writer gets them: each after its STORED_RAW byte, or null for none. */
export interface FramedBodies {
  request: Uint8Array | null;
  response: Uint8Array | null;
  requestTruncated: boolean;
  responseTruncated: boolean;
}

const COLUMNS = LOG_COLUMNS.length;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

const framedLength = (b: Buffer | null): number => (b ? b.length + 1 : 0);

export function encodeBatch(rows: readonly LogRow[]): EncodedBatch {
  let size = 0;
  for (const row of rows) {
    if (row.payload) size += framedLength(row.payload.request) + framedLength(row.payload.response);
  }
  const bodies = Buffer.allocUnsafeSlow(size);
  let at = 0;
  // Writes the body's place into line[k], line[k + 1].
  const put = (b: Buffer | null, line: unknown[], k: number) => {
    if (!b) {
      line[k] = -1;
      line[k + 1] = 0;
      return;
    }
    line[k] = at;
    line[k + 1] = b.length;
    bodies[at] = STORED_RAW;
    b.copy(bodies, at + 1);
    at += b.length + 1;
  };
  const line: unknown[] = [];
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    line.length = COLUMNS;
    for (let i = 0; i < COLUMNS; i++) line[i] = row[LOG_COLUMNS[i]!] ?? null;
    const p = row.payload;
    if (p) {
      put(p.request, line, COLUMNS);
      put(p.response, line, COLUMNS + 2);
      line[COLUMNS + 4] = (p.requestTruncated ? 1 : 0) | (p.responseTruncated ? 2 : 0);
    }
    // JSON escapes every line break inside a string, so a row is exactly one line.
    lines[r] = JSON.stringify(line);
  }
  return {
    columns: utf8.encode(lines.join('\n')).buffer as ArrayBuffer,
    bodies: bodies.buffer as ArrayBuffer,
  };
}

/**
 * Calls `each` with every row of a batch in order: its column values (LOG_COLUMNS order) and its
 * bodies, if it keeps any. Both are the row's own: `each` may keep them.
 */
export function forEachEncodedRow(
  batch: EncodedBatch,
  each: (values: unknown[], bodies: FramedBodies | undefined) => void,
): void {
  const bodies = new Uint8Array(batch.bodies);
  const framed = (at: number, length: number) => (at < 0 ? null : bodies.subarray(at, at + length + 1));
  const text = fromUtf8.decode(batch.columns);
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const values = JSON.parse(text.slice(start, end)) as unknown[];
    start = end + 1;
    if (values.length === COLUMNS) {
      each(values, undefined);
      continue;
    }
    const flags = values[COLUMNS + 4] as number;
    const rowBodies: FramedBodies = {
      request: framed(values[COLUMNS] as number, values[COLUMNS + 1] as number),
      response: framed(values[COLUMNS + 2] as number, values[COLUMNS + 3] as number),
      requestTruncated: (flags & 1) !== 0,
      responseTruncated: (flags & 2) !== 0,
    };
    values.length = COLUMNS;
    each(values, rowBodies);
  }
}
