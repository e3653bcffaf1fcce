import { LOG_COLUMNS } from './sqlite-sink.ts';
import type { LogRow } from './writer.ts';

/**
 * A batch of log rows as it crosses to the log worker thread: the columns as one UTF-8 JSON text
 * (arrays in LOG_COLUMNS order) and every body copied into one buffer, both transferred, not
 * cloned. Cloning the rows instead would copy each body's whole backing store (for a small Buffer,
 * Node's shared 8 KB pool), and even a cloned string showed up at ~6 µs a row in a profile.
 */
export interface EncodedBatch {
  columns: ArrayBuffer;
  bodies: ArrayBuffer;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Where a row's bodies are in `bodies`: [request offset, length, response offset, length, truncated flags]; -1 for none. */
type PayloadRef = [number, number, number, number, number];

export function encodeBatch(rows: readonly LogRow[]): EncodedBatch {
  let size = 0;
  for (const row of rows) size += (row.payload?.request?.length ?? 0) + (row.payload?.response?.length ?? 0);
  const bodies = Buffer.allocUnsafeSlow(size);
  let at = 0;
  const put = (b: Buffer | null | undefined): [number, number] => {
    if (!b) return [-1, -1];
    b.copy(bodies, at);
    at += b.length;
    return [at - b.length, b.length];
  };
  const encoded = rows.map((row) => {
    const values: unknown[] = LOG_COLUMNS.map((c) => row[c] ?? null);
    const p = row.payload;
    if (p) {
      const [reqAt, reqLen] = put(p.request);
      const [resAt, resLen] = put(p.response);
      const ref: PayloadRef = [
        reqAt,
        reqLen,
        resAt,
        resLen,
        (p.requestTruncated ? 1 : 0) | (p.responseTruncated ? 2 : 0),
      ];
      values.push(ref);
    }
    return values;
  });
  return {
    columns: utf8.encode(JSON.stringify(encoded)).buffer as ArrayBuffer,
    bodies: bodies.buffer as ArrayBuffer,
  };
}

export function decodeBatch(batch: EncodedBatch): LogRow[] {
  const bodies = Buffer.from(batch.bodies);
  const slice = (at: number, length: number) => (at < 0 ? null : bodies.subarray(at, at + length));
  const rows = JSON.parse(fromUtf8.decode(batch.columns)) as unknown[][];
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < LOG_COLUMNS.length; i++) row[LOG_COLUMNS[i]!] = values[i];
    const ref = values[LOG_COLUMNS.length] as PayloadRef | undefined;
    if (ref) {
      row['payload'] = {
        request: slice(ref[0], ref[1]),
        response: slice(ref[2], ref[3]),
        requestTruncated: (ref[4] & 1) !== 0,
        responseTruncated: (ref[4] & 2) !== 0,
      };
    }
    return row as LogRow;
  });
}
