import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { LogPayloadsTable } from '../db/tables.ts';
import type { LogRow } from './writer.ts';

/** Bodies compress well (JSON, SSE); zstd's fastest level keeps the writer cheap. */
const pack = (b: Buffer | null): Uint8Array | null =>
  b === null ? null : zstdCompressSync(b, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });

export const unpack = (b: Uint8Array | null): Buffer | null => (b === null ? null : zstdDecompressSync(b));

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
