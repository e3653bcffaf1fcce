import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { MAX_CACHEABLE_BYTES } from './policy.ts';
import type { CachedResponse } from './types.ts';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/**
 * Bodies under these sizes are deflated and inflated on the request thread: on libuv's thread
 * pool a call cost the process ~70 µs of CPU more than the work itself (the hand-off and the
 * wake-ups). Through a real Redis, a 74 KB stream inflated here was read in less time and CPU
 * than the same entry uncompressed (157–181 against 286–296 µs p50, 200–232 against 321–372 µs
 * of CPU: 3 KB to read instead of 76), and on the pool in more (282–322 µs, 458–478 µs of CPU).
 * Larger bodies go to the pool, so that a 25 MB answer never holds every request for the tens of
 * milliseconds it takes. Deflating is the slower half (~0.26 ms for an embedding's 32 KB).
 */
const DEFLATE_HERE_BELOW = 64 * 1024;
const INFLATE_HERE_BELOW = 256 * 1024;
/**
 * Level 1: as small as the default level, within 2%, for streams and chat answers; and for an
 * embedding's floats, where the default took ~0.9 ms for 32 KB, ~0.26 ms.
 */
const FAST = { level: 1 };

/**
 * Bodies from this size are compressed by `encodeCompressedEntry`. Below it the saving is a few
 * hundred bytes, not worth inflating on every hit.
 */
export const COMPRESS_FROM_BYTES = 4096;
/**
 * The first byte of a compressed entry. An uncompressed one starts with its head's length, a
 * 32-bit big-endian integer whose first byte is 0 for any head under 16 MiB, so the two never
 * meet, and an uncompressed entry keeps the format every earlier version reads.
 */
const COMPRESSED = 0x7a;

/**
 * One entry as bytes, for stores that keep blobs (SQLite, Redis): a 4-byte length, the JSON of
 * everything but the body, then the body bytes unchanged (no base64 inflation).
 */
export function encodeEntry(entry: CachedResponse): Buffer {
  const [head, body] = encodeEntryParts(entry);
  return Buffer.concat([head, body], head.length + body.length);
}

/**
 * The same encoding in two parts, its head (the length and the JSON) and the body as it is, for a
 * writer that takes both: a 25 MB body copied into one buffer held the request thread ~20 ms.
 */
export function encodeEntryParts(entry: CachedResponse): [head: Buffer, body: Buffer] {
  const { body, ...meta } = entry;
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.allocUnsafe(4 + json.length);
  head.writeUInt32BE(json.length, 0);
  json.copy(head, 4);
  return [head, body];
}

/**
 * The entry `encodeEntry` wrote. Its body is a copy unless `owned`: bytes read for this call alone
 * (a file, a database row) can be kept as they are, where a copy of a 25 MB body held the request
 * thread ~5 ms a hit.
 */
export function decodeEntry(bytes: Buffer, owned = false): CachedResponse {
  const headLength = bytes.readUInt32BE(0);
  const meta = JSON.parse(bytes.subarray(4, 4 + headLength).toString('utf8')) as Omit<CachedResponse, 'body'>;
  const body = bytes.subarray(4 + headLength);
  return { ...meta, body: owned ? body : Buffer.from(body) };
}

/** Bytes an entry costs, for the memory store's bound. */
export function entrySize(entry: CachedResponse): number {
  let headers = 0;
  for (const [k, v] of Object.entries(entry.headers))
    headers += k.length + (Array.isArray(v) ? v.join('').length : v.length);
  return entry.body.length + headers + (entry.frames?.length ?? 0) * 8 + 256;
}

/**
 * The entry for a store that keeps bytes (Redis's memory, shared by every node; SQLite's pages,
 * within its bound): a body of COMPRESS_FROM_BYTES or more is deflated, unless that saves under a tenth (images,
 * audio, anything compressed already), when the entry is stored as `encodeEntry` writes it. Raw
 * deflate, not zstd: node:zlib's zstd sets up a context per call, which cost a 12 KB hit two to
 * three times the CPU of inflating it, for about the same size. The frames' offsets stay those of
 * the whole body.
 */
export async function encodeCompressedEntry(entry: CachedResponse): Promise<Buffer> {
  const [head, body] = await encodeCompressedEntryParts(entry);
  return Buffer.concat([head, body], head.length + body.length);
}

/**
 * The same in two parts, for a writer that takes both (a file): the head, with the marker and the
 * body's own length before it when compressed, and the body, compressed or as it is (not copied).
 */
export async function encodeCompressedEntryParts(
  entry: CachedResponse,
): Promise<[head: Buffer, body: Buffer]> {
  const { body } = entry;
  if (body.length < COMPRESS_FROM_BYTES) return encodeEntryParts(entry);
  const packed = body.length < DEFLATE_HERE_BELOW ? deflateRawSync(body, FAST) : await deflate(body, FAST);
  if (packed.length > body.length * 0.9) return encodeEntryParts(entry);
  const [head] = encodeEntryParts(entry);
  // The marker, then the body's own length: the reader knows where to inflate it before it does.
  const prefixed = Buffer.allocUnsafe(5 + head.length);
  prefixed[0] = COMPRESSED;
  prefixed.writeUInt32BE(body.length, 1);
  head.copy(prefixed, 5);
  return [prefixed, packed];
}

/**
 * The entry `encodeCompressedEntry` (or `encodeEntry`) wrote; `owned` as for `decodeEntry` (an
 * inflated body is new anyway). A compressed body is never inflated to more than it was, nor than
 * a cacheable response can be. Throws on bytes that are not an entry.
 */
export async function decodeCompressedEntry(bytes: Buffer, owned = false): Promise<CachedResponse> {
  if (bytes[0] !== COMPRESSED) return decodeEntry(bytes, owned);
  const size = bytes.readUInt32BE(1);
  const { body: packed, ...meta } = decodeEntry(bytes.subarray(5), true);
  // Inflated into one buffer of the size it was, not in 16 KB pieces then joined.
  const options = { maxOutputLength: Math.min(size, MAX_CACHEABLE_BYTES), chunkSize: Math.max(64, size) };
  const body = size < INFLATE_HERE_BELOW ? inflateRawSync(packed, options) : await inflate(packed, options);
  if (body.length !== size) throw new Error(`a compressed body of ${body.length} bytes, not ${size}`);
  return { ...meta, body };
}
