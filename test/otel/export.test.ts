import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { OtelExporter, retryAfterMs, type Span } from '../../src/otel/exporter.ts';
import { readPartialSuccess } from '../../src/otel/otlp-response.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';
import { decodeTraceRequest, encodeTraceResponse } from '../helpers/otlp.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

/**
 * A test OTLP/HTTP collector: keeps every body POSTed to /v1/traces, its headers and its size
 * as sent. It reads both encodings, as collectors do, by the request's content type, and a
 * gzipped body by its content encoding (gunzip throws on anything else).
 */
let collector: Server;
let collectorUrl = '';
const received: Array<{ headers: Record<string, unknown>; body: any; bytes: number }> = [];
/** What the collector answers the next POSTs with, in order; 200 once it is empty. */
const script: Array<{ status: number; headers?: Record<string, string>; body?: string | Uint8Array }> = [];
let attempts = 0;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sent = Buffer.concat(chunks);
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(sent) : sent;
      const body =
        req.headers['content-type'] === 'application/x-protobuf'
          ? decodeTraceRequest(raw)
          : JSON.parse(raw.toString());
      attempts++;
      const answer = script.shift() ?? { status: 200 };
      if (req.url === '/v1/traces' && answer.status === 200)
        received.push({ headers: req.headers, body, bytes: sent.length });
      res
        .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        .end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => new Promise<void>((r) => collector.close(() => r())));

const ctx = useGatewayWithMock();

async function spans() {
  await ctx.gw.gatehouse.app.otel.flush();
  return received.flatMap((r) =>
    r.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((s: any) => s.spans)),
  );
}
/** A bare span for the exporter's own tests: the i-th of one trace. */
const span = (i: number): Span => ({
  traceId: 'a'.repeat(32),
  spanId: i.toString(16).padStart(16, '0'),
  name: 'chat',
  kind: 3,
  startTimeUnixNano: '1',
  endTimeUnixNano: '2',
  attributes: [],
  status: { code: 0 },
});
const attrs = (span: any) =>
  Object.fromEntries(span.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));

describe('OpenTelemetry export (gateway otel)', () => {
  it('exports a span per request with gen_ai attributes and metadata, continuing the given trace', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'traced', {
      ...DEFAULT_SETTINGS,
      otel: [
        { url: collectorUrl, headers: { 'x-collector-key': 'k1' }, authorization: 'Bearer collector-token' },
      ],
    });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = 'b7ad6b7169203331';
    const res = await request(`${ctx.gw.gatewayUrl('traced')}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-provider-secret',
        'cf-aig-otel-trace-id': traceId,
        'cf-aig-otel-parent-span-id': parent,
        'cf-aig-metadata': '{"user":"alice","gen_ai.ignored":"x"}',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    await res.body.text();
    const all = await spans();
    expect(all).toHaveLength(1);
    const span = all[0];
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parent);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.status.code).toBe(1);
    const a = attrs(span);
    expect(a['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(a['gen_ai.model.provider']).toBe('openai');
    expect(a['gen_ai.provider.name']).toBe('openai');
    expect(a['gen_ai.operation.name']).toBe('chat');
    expect(a['gen_ai.response.model']).toMatch(/^gpt-4o-mini/);
    expect(a['error.type']).toBeUndefined();
    expect(Number(a['gen_ai.usage.input_tokens'])).toBeGreaterThan(0);
    expect(Number(a['gen_ai.usage.output_tokens'])).toBeGreaterThan(0);
    expect(a['gen_ai.usage.cost']).toBeGreaterThan(0);
    expect(JSON.parse(a['gen_ai.prompt_json'] as string).model).toBe('gpt-4o-mini');
    expect(JSON.parse(a['gen_ai.completion_json'] as string).object).toBe('chat.completion');
    expect(a['user']).toBe('alice');
    expect(a['gen_ai.ignored']).toBeUndefined();
    // The service that sent it: gatehouse, this build, and this process.
    const resource = attrs(received[0]!.body.resourceSpans[0].resource);
    expect(resource).toEqual({
      'service.name': 'gatehouse',
      'service.version': JSON.parse(readFileSync('package.json', 'utf8')).version,
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(received[0]!.headers['x-collector-key']).toBe('k1');
    expect(received[0]!.headers['authorization']).toBe('Bearer collector-token');
    expect(JSON.stringify(received)).not.toContain('sk-provider-secret');
  });

  it('starts a trace when none is given, and marks failures', async () => {
    received.length = 0;
    const res = await request(`${ctx.gw.gatewayUrl('traced')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-scenario': 'status=500' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    await res.body.text();
    const [span] = await spans();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.parentSpanId).toBeUndefined();
    expect(span.status.code).toBe(2);
    expect(attrs(span)['error.type']).toBe('500');
  });

  it("names the provider as OpenTelemetry's GenAI conventions do (Gemini: gcp.gemini), beside the hosted product's slug", async () => {
    received.length = 0;
    const res = await request(
      `${ctx.gw.gatewayUrl('traced')}/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] }),
      },
    );
    await res.body.text();
    expect(res.statusCode).toBe(200);
    const a = attrs((await spans())[0]);
    expect(a['gen_ai.model.provider']).toBe('google-ai-studio');
    expect(a['gen_ai.provider.name']).toBe('gcp.gemini');
    expect(a['gen_ai.operation.name']).toBe('chat');
    expect(a['gen_ai.request.model']).toBe('gemini-2.5-flash');
  });

  it('sends the same span in the binary encoding to a collector set to protobuf', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'traced-both', {
      ...DEFAULT_SETTINGS,
      otel: [
        { url: collectorUrl, headers: {}, content_type: 'json' },
        { url: collectorUrl, headers: {}, content_type: 'protobuf' },
      ],
    });
    received.length = 0;
    const res = await request(`${ctx.gw.gatewayUrl('traced-both')}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'cf-aig-otel-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736',
        'cf-aig-metadata': '{"user":"bob","tier":2,"beta":false}',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Grüße 🚀' }] }),
    });
    await res.body.text();
    await ctx.gw.gatehouse.app.otel.flush();
    const types = received.map((r) => r.headers['content-type']).sort();
    expect(types).toEqual(['application/json', 'application/x-protobuf']);
    const [json, binary] = ['application/json', 'application/x-protobuf'].map(
      (t) => received.find((r) => r.headers['content-type'] === t)!.body,
    );
    expect(binary).toEqual(json);
    const span = binary.resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const a = attrs(span);
    expect(a['tier']).toBe('2');
    expect(a['beta']).toBe(false);
    expect(JSON.parse(a['gen_ai.prompt_json'] as string).messages[0].content).toBe('Grüße 🚀');
  });

  it("names the service as OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say, as OpenTelemetry's SDKs do", async () => {
    const gw = await startGatehouse({
      GATEHOUSE_UPSTREAM_OPENAI: `${ctx.mock.url}/v1`,
      OTEL_SERVICE_NAME: 'llm-gateway',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=search%2Cplatform,service.name=ignored',
    });
    try {
      await gw.gatehouse.app.gateways.create('local', 'named', {
        ...DEFAULT_SETTINGS,
        otel: [{ url: collectorUrl, headers: {}, content_type: 'protobuf' }],
      });
      received.length = 0;
      const res = await request(`${gw.gatewayUrl('named')}/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      });
      await res.body.text();
      await gw.gatehouse.app.otel.flush();
      expect(received).toHaveLength(1);
      expect(attrs(received[0]!.body.resourceSpans[0].resource)).toEqual({
        'service.name': 'llm-gateway',
        'service.version': expect.any(String),
        'service.instance.id': expect.any(String),
        'deployment.environment': 'prod',
        team: 'search,platform',
      });
    } finally {
      await gw.close();
    }
  });

  it('gzips the body, in either encoding, for a collector set to compression gzip', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'traced-gzip', {
      ...DEFAULT_SETTINGS,
      otel: [
        { url: collectorUrl, headers: {}, content_type: 'json', compression: 'none' },
        { url: collectorUrl, headers: {}, content_type: 'json', compression: 'gzip' },
        { url: collectorUrl, headers: {}, content_type: 'protobuf', compression: 'gzip' },
      ],
    });
    received.length = 0;
    // A prompt that repeats, as conversations do: the gzipped bodies must come out smaller.
    const prompt = 'Summarise the quarterly report for the board. '.repeat(200);
    const res = await request(`${ctx.gw.gatewayUrl('traced-gzip')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-aig-metadata': '{"user":"carol"}' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
    });
    await res.body.text();
    await ctx.gw.gatehouse.app.otel.flush();
    expect(received).toHaveLength(3);
    const plain = received.find((r) => r.headers['content-encoding'] === undefined)!;
    const gzipped = received.filter((r) => r.headers['content-encoding'] === 'gzip');
    expect(gzipped.map((r) => r.headers['content-type']).sort()).toEqual([
      'application/json',
      'application/x-protobuf',
    ]);
    for (const r of gzipped) {
      expect(r.body).toEqual(plain.body);
      expect(r.bytes).toBeLessThan(plain.bytes / 5);
    }
    const a = attrs(plain.body.resourceSpans[0].scopeSpans[0].spans[0]);
    expect(JSON.parse(a['gen_ai.prompt_json'] as string).messages[0].content).toBe(prompt);
    expect(a['user']).toBe('carol');
  });

  it('sends a batch again while the collector answers busy (503, 429), as Retry-After says; never one it refused', async () => {
    const ask = async () => {
      const res = await request(`${ctx.gw.gatewayUrl('traced')}/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      });
      await res.body.text();
    };
    received.length = 0;
    attempts = 0;
    script.push(
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
    );
    await ask();
    expect(await spans()).toHaveLength(1);
    expect(attempts).toBe(3);

    received.length = 0;
    attempts = 0;
    script.push({ status: 400 });
    await ask();
    expect(await spans()).toHaveLength(0);
    expect(attempts).toBe(1);
  });

  it('reports what a collector rejected of an accepted batch (partial success), in either encoding, and sends none of it again', async () => {
    const warnings: string[] = [];
    const exporter = new OtelExporter((_level, message) => warnings.push(message));
    received.length = 0;
    attempts = 0;
    script.push(
      { status: 200, body: '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too many attributes"}}' },
      {
        status: 200,
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeTraceResponse({ rejectedSpans: 1, errorMessage: 'span name too long' }),
      },
      // An empty partial success is a full one.
      { status: 200, body: '{"partialSuccess":{}}' },
    );
    try {
      for (const content_type of ['json', 'protobuf', 'json'] as const) {
        for (let i = 0; i < 3; i++)
          exporter.export([{ url: collectorUrl, headers: {}, content_type }], span(i));
        await exporter.flush();
      }
      expect(attempts).toBe(3);
      expect(received).toHaveLength(3);
      const origin = new URL(collectorUrl).origin;
      // The first said at once; the second within the minute is counted into the next report.
      expect(warnings).toEqual([
        `OpenTelemetry collector at ${origin} rejected 2 of 3 spans: too many attributes`,
      ]);
    } finally {
      await exporter.close();
    }
  });

  it('reads a partial success in both encodings, and nothing from an answer that names none', () => {
    const json = (body: string) => readPartialSuccess(Buffer.from(body), false);
    expect(json('{"partialSuccess":{"rejectedSpans":"5","errorMessage":"quota"}}')).toEqual({
      rejectedSpans: 5,
      errorMessage: 'quota',
    });
    expect(json('{"partialSuccess":{"rejectedSpans":3}}')).toEqual({ rejectedSpans: 3, errorMessage: '' });
    for (const none of ['{}', '', '{"partialSuccess":{}}', 'not json', '{"partialSuccess":null}'])
      expect(json(none)).toBeUndefined();
    const proto = (p: { rejectedSpans?: number; errorMessage?: string } | undefined) =>
      readPartialSuccess(encodeTraceResponse(p), true);
    expect(proto({ rejectedSpans: 7, errorMessage: 'über limit' })).toEqual({
      rejectedSpans: 7,
      errorMessage: 'über limit',
    });
    expect(proto({ errorMessage: 'warning only' })).toEqual({
      rejectedSpans: 0,
      errorMessage: 'warning only',
    });
    expect(proto(undefined)).toBeUndefined();
    expect(proto({})).toBeUndefined();
    expect(readPartialSuccess(Uint8Array.from([0x0a, 0x05, 0x08]), true)).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date, within 30 s', () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Wed, 02 Dec 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('3600', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('OpenTelemetry export to a collector that hangs', () => {
  it('keeps at most 4 batches in flight to it, the rest queued, and sends them all once it answers', async () => {
    const held: Array<() => void> = [];
    let open = 0;
    let most = 0;
    let delivered = 0;
    let answering = false;
    const hanging = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        most = Math.max(most, ++open);
        if (answering) return void res.writeHead(200).end('{}');
        held.push(() => {
          open--;
          delivered += JSON.parse(Buffer.concat(chunks).toString()).resourceSpans[0].scopeSpans[0].spans
            .length;
          res.writeHead(200).end('{}');
        });
      });
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1/traces`;
    const warnings: string[] = [];
    const exporter = new OtelExporter((_level, message) => warnings.push(message));
    try {
      // Ten batches' worth, while the collector answers nothing.
      for (let i = 0; i < 2000; i++) exporter.export([{ url, headers: {} }], span(i));
      void exporter.flush();
      await expect.poll(() => held.length).toBe(4);
      await new Promise((r) => setTimeout(r, 1500));
      expect(held.length).toBe(4);
      // It answers again: the queued batches follow, never more than 4 at a time.
      await expect
        .poll(
          () => {
            for (const answer of held.splice(0)) answer();
            return delivered;
          },
          { timeout: 15_000, interval: 100 },
        )
        .toBe(2000);
      expect(most).toBe(4);
      // Past its queue's bound new spans are dropped, and that is said once.
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 10_001; j++) exporter.export([{ url, headers: {} }], span(j));
      expect(warnings).toEqual([
        expect.stringMatching(/is behind: 10000 spans wait for it; dropping new ones/),
      ]);
    } finally {
      answering = true;
      for (const answer of held.splice(0)) answer();
      await exporter.close();
      await new Promise<void>((r) => hanging.close(() => r()));
    }
  });
});
