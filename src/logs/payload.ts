import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { LogPayloadsTable } from '../db/tables.ts';
import type { LogRow } from './writer.ts';

/**
 * Stored bodies start with one byte saying how: 0 as is, 1 zstd. Compressing costs ~30 µs a call
 * whatever the size (a new compression context each time), which a typical 1 KB chat body does not
 * repay; large bodies (long prompts, streams) are where the space goes, and those are compressed.
 */
const COMPRESS_FROM = 4096;
/** The first byte of a body stored as is. */
export const STORED_RAW = 0;
const STORED_ZSTD = 1;
const RAW = Buffer.from([STORED_RAW]);
const ZSTD = Buffer.from([STORED_ZSTD]);

const compressed = (body: Uint8Array): Uint8Array =>
  Buffer.concat([ZSTD, zstdCompressSync(body, { params: { [constants.ZSTD_c_compressionLevel]: 1 } })]);

/**
 * A body as stored, from the body behind a STORED_RAW byte (the form a worker batch carries, so
 * that a small body is bound where it lies, without a copy).
 */
export function storedBody(framed: Uint8Array): Uint8Array {
  return framed.length - 1 < COMPRESS_FROM ? framed : compressed(framed.subarray(1));
}

function pack(b: Buffer | null): Uint8Array | null {
  if (b === null) return null;
  return b.length < COMPRESS_FROM ? Buffer.concat([RAW, b]) : compressed(b);
}

export function unpack(stored: Uint8Array | null): Buffer | null {
  if (stored === null) return null;
  const b = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return b[0] === STORED_ZSTD ? zstdDecompressSync(b.subarray(1)) : b.subarray(1);
}

/** The payload row of a log row, or undefined when it keeps none. */
export function payloadRow(row: LogRow): LogPayloadsTable | undefined {
  const p = row.payload;
  if (!p || (p.request === null && p.response === null)) return undefined;
  return {
    log_id: row.id,
    account_id: row.account_id,
    gateway_id: row.gateway_id,
    request: pack(p.request),
    response: pack(p.response),
    request_truncated: p.requestTruncated ? 1 : 0,
    response_truncated: p.responseTruncated ? 1 : 0,
  };
}
