import { crc32 } from 'node:zlib';

/**
 * AWS event stream framing (`application/vnd.amazon.eventstream`), as Bedrock streams use it:
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32) | headers | payload | message CRC32 (u32)
 *
 * Headers are `name length (u8) | name | type (u8) | value`; Bedrock sends strings (type 7), the
 * other types are read so that no message is misparsed.
 */
export interface EventStreamMessage {
  headers: Record<string, string | number | boolean | bigint | Buffer>;
  payload: Buffer;
}

const PRELUDE = 12;
const MAX_MESSAGE = 16 * 1024 * 1024;

/** Decodes messages as bytes arrive, split anywhere. A corrupt message stops it for good (`failed`). */
export class EventStreamDecoder {
  #buffer: Buffer = Buffer.alloc(0);
  #failed = false;

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): EventStreamMessage[] {
    if (this.#failed) return [];
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: EventStreamMessage[] = [];
    while (this.#buffer.length >= PRELUDE) {
      const total = this.#buffer.readUInt32BE(0);
      const headersLength = this.#buffer.readUInt32BE(4);
      if (
        total > MAX_MESSAGE ||
        total < PRELUDE + 4 + headersLength ||
        crc32(this.#buffer.subarray(0, 8)) !== this.#buffer.readUInt32BE(8)
      ) {
        return this.#fail(out);
      }
      if (this.#buffer.length < total) break;
      const message = this.#buffer.subarray(0, total);
      if (crc32(message.subarray(0, total - 4)) !== message.readUInt32BE(total - 4)) return this.#fail(out);
      const headers = readHeaders(message.subarray(PRELUDE, PRELUDE + headersLength));
      if (!headers) return this.#fail(out);
      out.push({ headers, payload: Buffer.from(message.subarray(PRELUDE + headersLength, total - 4)) });
      this.#buffer = this.#buffer.subarray(total);
    }
    return out;
  }

  #fail(decoded: EventStreamMessage[]): EventStreamMessage[] {
    this.#failed = true;
    this.#buffer = Buffer.alloc(0);
    return decoded;
  }
}

function readHeaders(b: Buffer): EventStreamMessage['headers'] | undefined {
  // No prototype: a header the stream names `__proto__` is then a header like any other.
  const headers: EventStreamMessage['headers'] = Object.create(null);
  let i = 0;
  try {
    while (i < b.length) {
      const nameLength = b.readUInt8(i);
      const name = b.toString('utf8', i + 1, i + 1 + nameLength);
      i += 1 + nameLength;
      const type = b.readUInt8(i++);
      switch (type) {
        case 0:
        case 1:
          headers[name] = type === 0;
          break;
        case 2:
          headers[name] = b.readInt8(i);
          i += 1;
          break;
        case 3:
          headers[name] = b.readInt16BE(i);
          i += 2;
          break;
        case 4:
          headers[name] = b.readInt32BE(i);
          i += 4;
          break;
        case 5:
        case 8:
          headers[name] = b.readBigInt64BE(i);
          i += 8;
          break;
        case 6:
        case 7: {
          const length = b.readUInt16BE(i);
          const value = b.subarray(i + 2, i + 2 + length);
          if (value.length !== length) return undefined;
          headers[name] = type === 7 ? value.toString('utf8') : Buffer.from(value);
          i += 2 + length;
          break;
        }
        case 9:
          headers[name] = Buffer.from(b.subarray(i, i + 16));
          i += 16;
          break;
        default:
          return undefined;
      }
    }
  } catch {
    return undefined;
  }
  return headers;
}

/** One message with string headers, CRCs included. */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const head = Buffer.alloc(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(7, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  const headerBytes = Buffer.concat(parts);
  const total = PRELUDE + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, PRELUDE);
  payload.copy(message, PRELUDE + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}
