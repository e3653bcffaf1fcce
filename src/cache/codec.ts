import type { CachedResponse } from './types.ts';

/**
 * One entry as bytes, for stores that keep blobs (SQLite, Redis): a 4-byte length, the JSON of
 * everything but the body, then the body bytes unchanged (no base64 inflation).
 */
export function encodeEntry(entry: CachedResponse): Buffer {
  const { body, ...meta } = entry;
  const head = Buffer.from(JSON.stringify(meta), 'utf8');
  const out = Buffer.allocUnsafe(4 + head.length + body.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  body.copy(out, 4 + head.length);
  return out;
}

export function decodeEntry(bytes: Buffer): CachedResponse {
  const headLength = bytes.readUInt32BE(0);
  const meta = JSON.parse(bytes.subarray(4, 4 + headLength).toString('utf8')) as Omit<CachedResponse, 'body'>;
  return { ...meta, body: Buffer.from(bytes.subarray(4 + headLength)) };
}

/** Bytes an entry costs, for the memory store's bound. */
export function entrySize(entry: CachedResponse): number {
  let headers = 0;
  for (const [k, v] of Object.entries(entry.headers))
    headers += k.length + (Array.isArray(v) ? v.join('').length : v.length);
  return entry.body.length + headers + (entry.frames?.length ?? 0) * 8 + 256;
}
