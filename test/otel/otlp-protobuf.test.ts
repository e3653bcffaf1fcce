import { describe, expect, it } from 'vitest';
import { type Span, traceRequest } from '../../src/otel/exporter.ts';
import { encodeTraceRequest } from '../../src/otel/otlp-protobuf.ts';
import { decodeTraceRequest } from '../helpers/otlp.ts';

const span = (over: Partial<Span> = {}): Span => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  name: 'anthropic claude-sonnet-5-5',
  kind: 3,
  startTimeUnixNano: '1764640000123456000',
  endTimeUnixNano: '1764640000987654000',
  attributes: [],
  status: { code: 1 },
  ...over,
});

describe('OTLP protobuf encoding', () => {
  it('decodes, with the OpenTelemetry decoder, to the same request as the JSON form', () => {
    const spans = [
      span({
        parentSpanId: '00f067aa0ba902b7',
        attributes: [
          { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
          { key: 'gen_ai.usage.input_tokens', value: { intValue: '1234567' } },
          { key: 'gen_ai.usage.cost', value: { doubleValue: 0.000123 } },
          { key: 'gatehouse.cached', value: { boolValue: true } },
          { key: 'gen_ai.prompt_json', value: { stringValue: '{"content":"héllo — 世界 🚀"}' } },
          { key: 'negative', value: { intValue: '-42' } },
          { key: 'huge', value: { intValue: '9007199254740993' } },
        ],
      }),
      span({
        spanId: '1111111111111111',
        attributes: [{ key: 'http.response.status_code', value: { intValue: '500' } }],
        status: { code: 2, message: 'upstream answered 500' },
      }),
    ];
    const req = traceRequest(spans);
    expect(decodeTraceRequest(encodeTraceRequest(req))).toEqual(JSON.parse(JSON.stringify(req)));
  });

  it("keeps an attribute's type at its zero value, and leaves out what proto3 leaves out", () => {
    const req = traceRequest([
      span({
        attributes: [
          { key: 'zero', value: { intValue: '0' } },
          { key: 'no', value: { boolValue: false } },
          { key: 'empty', value: { stringValue: '' } },
          { key: 'nothing', value: { doubleValue: 0 } },
        ],
        status: { code: 0 },
      }),
    ]);
    const decoded = decodeTraceRequest(encodeTraceRequest(req));
    const s = decoded.resourceSpans[0].scopeSpans[0].spans[0];
    expect(s.attributes).toEqual([
      { key: 'zero', value: { intValue: '0' } },
      { key: 'no', value: { boolValue: false } },
      { key: 'empty', value: { stringValue: '' } },
      { key: 'nothing', value: { doubleValue: 0 } },
    ]);
    expect(s.parentSpanId).toBeUndefined();
    expect(s.status).toEqual({});
  });

  it('encodes an empty batch as an empty resource', () => {
    const decoded = decodeTraceRequest(encodeTraceRequest(traceRequest([])));
    expect(decoded.resourceSpans[0].scopeSpans[0]).toEqual({ scope: { name: 'gatehouse' } });
  });

  it('round-trips 300 random requests through the OpenTelemetry decoder', () => {
    // A small seeded generator, so a failure is reproducible.
    let seed = 0x2f6b_1d3e;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const hex = (bytes: number) =>
      Array.from({ length: bytes }, () =>
        Math.floor(rand() * 256)
          .toString(16)
          .padStart(2, '0'),
      ).join('');
    const text = () =>
      Array.from({ length: Math.floor(rand() * 40) }, () =>
        pick(['a', 'Z', ' ', '"', '\\', '\n', 'é', 'ß', '東', '🚀', '\u0000', '\u007f']),
      ).join('');
    const value = (): Span['attributes'][number]['value'] => {
      switch (Math.floor(rand() * 4)) {
        case 0:
          return { stringValue: text() };
        case 1:
          return { boolValue: rand() < 0.5 };
        case 2:
          return {
            intValue: String(
              pick([0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(Math.floor((rand() - 0.5) * 1e12))]),
            ),
          };
        default:
          return { doubleValue: pick([0.5, -1e-9, 123456.789, rand() * 1e6, -0.25]) };
      }
    };
    for (let i = 0; i < 300; i++) {
      const spans = Array.from({ length: 1 + Math.floor(rand() * 3) }, () =>
        span({
          traceId: hex(16),
          spanId: hex(8),
          ...(rand() < 0.5 ? { parentSpanId: hex(8) } : {}),
          name: text() || 'x',
          kind: pick([1, 2, 3]),
          startTimeUnixNano: String(1_764_000_000_000_000_000n + BigInt(Math.floor(rand() * 1e15))),
          endTimeUnixNano: String(1_765_000_000_000_000_000n + BigInt(Math.floor(rand() * 1e15))),
          attributes: Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, k) => ({
            key: `k${k}${text()}`,
            value: value(),
          })),
          status: rand() < 0.5 ? { code: 1 } : { code: 2, message: text() || 'failed' },
        }),
      );
      const req = traceRequest(spans);
      expect(decodeTraceRequest(encodeTraceRequest(req))).toEqual(JSON.parse(JSON.stringify(req)));
    }
  });
});
