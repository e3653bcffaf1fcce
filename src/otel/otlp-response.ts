/**
 * What a collector said it did not take from an accepted export: OTLP/HTTP answers 200 with an
 * ExportTraceServiceResponse whose `partial_success` counts the spans it rejected (too many
 * attributes, a limit it enforces) and says why. Such a batch must not be sent again; the spec
 * asks the sender to report it. Undefined when the answer names no rejection, or cannot be read.
 */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

export function readPartialSuccess(body: Uint8Array, protobuf: boolean): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  try {
    const found = protobuf ? fromProtobuf(body) : fromJson(body);
    return found && (found.rejectedSpans > 0 || found.errorMessage !== '') ? found : undefined;
  } catch {
    return undefined;
  }
}

function fromJson(body: Uint8Array): PartialSuccess | undefined {
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
    partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string };
  };
  const p = parsed?.partialSuccess;
  if (!p || typeof p !== 'object') return undefined;
  // int64 is a decimal string in OTLP/JSON, though some collectors write a number.
  return { rejectedSpans: Number(p.rejectedSpans ?? 0) || 0, errorMessage: String(p.errorMessage ?? '') };
}

/** ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 } { int64 rejected_spans = 1; string error_message = 2 }. */
function fromProtobuf(body: Uint8Array): PartialSuccess | undefined {
  let found: PartialSuccess | undefined;
  eachField(body, (field, value) => {
    if (field !== 1 || typeof value === 'bigint') return;
    const p = { rejectedSpans: 0, errorMessage: '' };
    eachField(value, (f, v) => {
      if (f === 1 && typeof v === 'bigint') p.rejectedSpans = Number(BigInt.asIntN(64, v));
      else if (f === 2 && typeof v !== 'bigint') p.errorMessage = Buffer.from(v).toString('utf8');
    });
    found = p;
  });
  return found;
}

/** Calls `each` with every field of a protobuf message: varints as bigint, length-delimited as bytes; 32/64-bit fields skipped. */
function eachField(buf: Uint8Array, each: (field: number, value: bigint | Uint8Array) => void): void {
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length || shift > 63n) throw new Error('truncated varint');
      const b = buf[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    switch (key & 7) {
      case 0:
        each(field, varint());
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (at + length > buf.length) throw new Error('truncated field');
        each(field, buf.subarray(at, at + length));
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`wire type ${key & 7}`);
    }
  }
}
