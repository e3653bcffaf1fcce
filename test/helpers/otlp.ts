import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root.js';

/*
 * Reads an OTLP/HTTP protobuf body with the OpenTelemetry project's own generated decoder
 * (protobufjs code built from opentelemetry-proto), not with anything of Gatehouse's, and returns
 * it in OTLP/JSON's shape: ids as lowercase hex, 64-bit integers as decimal strings.
 */
interface GeneratedMessage {
  decode(body: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}
// The module's own typings declare only protobufjs's Root, not the generated namespaces.
const ExportTraceServiceRequest: GeneratedMessage = (otlpRoot as any).opentelemetry.proto.collector.trace.v1
  .ExportTraceServiceRequest;

const ExportTraceServiceResponse: GeneratedMessage & {
  fromObject(o: unknown): unknown;
  encode(m: unknown): { finish(): Uint8Array };
} = (otlpRoot as any).opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

function idsToHex(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(idsToHex);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        ID_FIELDS.has(k) && typeof x === 'string' ? Buffer.from(x, 'base64').toString('hex') : idsToHex(x),
      ]),
    );
  }
  return v;
}

export function decodeTraceRequest(body: Uint8Array): any {
  const message = ExportTraceServiceRequest.decode(body);
  return idsToHex(
    ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String }),
  );
}

/** A collector's answer to an export, in the binary encoding, by the project's own encoder. */
export function encodeTraceResponse(
  partialSuccess: { rejectedSpans?: number; errorMessage?: string } | undefined,
): Uint8Array {
  return ExportTraceServiceResponse.encode(
    ExportTraceServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {}),
  ).finish();
}
