import type { AttrValue, Span, TraceRequest } from './exporter.ts';

/*
 * OTLP/HTTP binary encoding of an ExportTraceServiceRequest, for collectors set up with
 * `content_type: protobuf`. The messages are few and fixed, so they are written by hand: a
 * protobuf runtime and generated code would be a dependency for ~100 lines. Field numbers are
 * those of opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1). Plain
 * fields at their default value are left out, as proto3 encoders do; a oneof member is always
 * written, so an attribute's `false`, `0` or `""` keeps its type.
 */

const VARINT = 0;
const I64 = 1;
const LEN = 2;

/** The chunks of one message, measured as they are added so a parent can prefix the length. */
class Message {
  readonly parts: Uint8Array[] = [];
  size = 0;

  #push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  #key(field: number, wire: number): void {
    this.#push(varint(BigInt((field << 3) | wire)));
  }

  /** Varint fields: int64 (two's complement, ten bytes when negative), enums, bools. */
  varint(field: number, v: bigint): this {
    this.#key(field, VARINT);
    this.#push(varint(BigInt.asUintN(64, v)));
    return this;
  }

  i64(field: number, write: (b: Buffer) => void): this {
    this.#key(field, I64);
    const b = Buffer.allocUnsafe(8);
    write(b);
    this.#push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.#key(field, LEN);
    this.#push(varint(BigInt(b.length)));
    this.#push(b);
    return this;
  }

  message(field: number, m: Message): this {
    this.#key(field, LEN);
    this.#push(varint(BigInt(m.size)));
    for (const p of m.parts) this.#push(p);
    return this;
  }

  // proto3 scalars: nothing is written for the default value.
  enum(field: number, v: number): this {
    return v === 0 ? this : this.varint(field, BigInt(v));
  }

  fixed64(field: number, v: bigint): this {
    return v === 0n ? this : this.i64(field, (b) => b.writeBigUInt64LE(BigInt.asUintN(64, v)));
  }

  hexBytes(field: number, hex: string | undefined): this {
    return hex ? this.bytes(field, Buffer.from(hex, 'hex')) : this;
  }

  string(field: number, s: string | undefined): this {
    return s ? this.bytes(field, Buffer.from(s, 'utf8')) : this;
  }
}

function varint(v: bigint): Uint8Array {
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

function anyValue(v: AttrValue): Message {
  const m = new Message();
  if ('stringValue' in v) return m.bytes(1, Buffer.from(v.stringValue, 'utf8'));
  if ('boolValue' in v) return m.varint(2, v.boolValue ? 1n : 0n);
  if ('intValue' in v) return m.varint(3, BigInt(v.intValue));
  return m.i64(4, (b) => b.writeDoubleLE(v.doubleValue));
}

function keyValue(key: string, value: AttrValue): Message {
  return new Message().string(1, key).message(2, anyValue(value));
}

function span(s: Span): Message {
  const m = new Message()
    .hexBytes(1, s.traceId)
    .hexBytes(2, s.spanId)
    .hexBytes(4, s.parentSpanId)
    .string(5, s.name)
    .enum(6, s.kind)
    .fixed64(7, BigInt(s.startTimeUnixNano))
    .fixed64(8, BigInt(s.endTimeUnixNano));
  for (const a of s.attributes) m.message(9, keyValue(a.key, a.value));
  return m.message(15, new Message().string(2, s.status.message).enum(3, s.status.code));
}

/** The body a collector's `/v1/traces` takes as `application/x-protobuf`. */
export function encodeTraceRequest(req: TraceRequest): Buffer {
  const root = new Message();
  for (const rs of req.resourceSpans) {
    const resource = new Message();
    for (const a of rs.resource.attributes) resource.message(1, keyValue(a.key, a.value));
    const r = new Message().message(1, resource);
    for (const ss of rs.scopeSpans) {
      const scoped = new Message().message(1, new Message().string(1, ss.scope.name));
      for (const s of ss.spans) scoped.message(2, span(s));
      r.message(2, scoped);
    }
    root.message(1, r);
  }
  return Buffer.concat(root.parts, root.size);
}
