import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Gateway } from '../gateways/schema.ts';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { encodeTraceRequest } from './otlp-protobuf.ts';
import { type PartialSuccess, readPartialSuccess } from './otlp-response.ts';

type OtelTarget = NonNullable<Gateway['settings']['otel']>[number];

export type AttrValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean };
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: AttrValue }>;
  status: { code: number; message?: string };
}

export function attr(
  key: string,
  v: string | number | boolean | null | undefined,
): { key: string; value: AttrValue } | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  if (typeof v === 'number')
    return Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } };
  return { key, value: { stringValue: v } };
}

/** An ExportTraceServiceRequest in OTLP/JSON's shape; `otlp-protobuf.ts` encodes the same object. */
export interface TraceRequest {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: AttrValue }> };
    scopeSpans: Array<{ scope: { name: string }; spans: Span[] }>;
  }>;
}

export function traceRequest(
  spans: Span[],
  resource: Record<string, string> = { 'service.name': 'gatehouse' },
): TraceRequest {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, v]) => ({ key, value: { stringValue: v } })),
        },
        scopeSpans: [{ scope: { name: 'gatehouse' }, spans }],
      },
    ],
  };
}

export const newSpanId = () => randomBytes(8).toString('hex');
export const newTraceId = () => randomBytes(16).toString('hex');

const FLUSH_MS = 1000;
const MAX_BATCH = 200;
/** Spans waiting per endpoint beyond this are dropped (a collector that is down must not grow memory). */
const MAX_QUEUED = 10_000;
/**
 * Batches being sent (or waiting to be sent again) per endpoint at once; the rest wait in the
 * queue. Without a bound, a collector that hangs (each try waits its 10 s timeout, a batch lives
 * ~50 s) held every second's batches in flight: at 3 000 requests a second, ~140 000 spans and as
 * many open requests, beyond what MAX_QUEUED promises.
 */
const MAX_IN_FLIGHT = 4;
/** The answers OTLP/HTTP asks a client to retry: the collector, or a proxy in front of it, is busy. */
const RETRYABLE = new Set([429, 502, 503, 504]);
/** A batch is sent at most this many times, backing off 1, 2, then 4 s, or as `Retry-After` says. */
const MAX_ATTEMPTS = 4;
const MAX_RETRY_DELAY_MS = 30_000;
/** On the thread pool, not the request thread: a batch of 200 spans with their prompts runs to megabytes. */
const gzipAsync = promisify(gzip);

/** Milliseconds a `Retry-After` value asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_DELAY_MS) : undefined;
}

type Outcome =
  | { ok: true; partial: PartialSuccess | undefined }
  | { ok: false; error: string; retry: boolean; afterMs?: number | undefined };

/** An accepted export's answer is read this far for a partial success; a longer one is cut off there. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Partial successes are reported the first time, then at most this often. */
const PARTIAL_REPORT_MS = 60_000;

/**
 * Exports spans over OTLP/HTTP (`POST {url}`), as JSON or, with `content_type: protobuf`, in
 * the binary encoding (gzipped with `compression: gzip`), batched per endpoint every second, off
 * the request path. A batch the collector answers busy (429, 502, 503, 504) or cannot be reached
 * for is sent again, up to MAX_ATTEMPTS times; one that still fails, or refuses it (any other
 * status), loses that batch, with a warning. One it accepts in part (a partial success) is
 * reported, never sent again. Nothing is retried forever or held without bound.
 */
export class OtelExporter {
  readonly #queues = new Map<string, { target: OtelTarget; spans: Span[]; inFlight: number }>();
  readonly #log: (level: 'warn', message: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #warned = new Set<string>();
  #closing = false;
  readonly #partial: (message: string) => void;
  readonly #resource: Record<string, string> | undefined;

  /** `resource`: the attributes of the service that sends the spans (`resource.ts`). */
  constructor(log: (level: 'warn', message: string) => void, resource?: Record<string, string>) {
    this.#log = log;
    this.#resource = resource;
    this.#partial = atMostEvery(PARTIAL_REPORT_MS, (message, times) =>
      log('warn', `${message}${sinceLastReport(times, 'batches partly rejected')}`),
    );
  }

  export(targets: readonly OtelTarget[], span: Span): void {
    for (const target of targets) {
      const key = `${target.url}\u0000${JSON.stringify(target.headers)}\u0000${target.authorization ?? ''}\u0000${target.content_type ?? 'json'}\u0000${target.compression ?? 'none'}`;
      let q = this.#queues.get(key);
      if (!q) {
        q = { target, spans: [], inFlight: 0 };
        this.#queues.set(key, q);
      }
      if (q.spans.length < MAX_QUEUED) q.spans.push(span);
      else if (!this.#warned.has(target.url)) {
        this.#warned.add(target.url);
        this.#log(
          'warn',
          `OpenTelemetry export to ${new URL(target.url).origin} is behind: ${MAX_QUEUED} spans wait for it; dropping new ones until it catches up`,
        );
      }
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closing) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_MS);
    this.#timer.unref();
  }

  /** Sends what is queued, at most MAX_IN_FLIGHT batches per endpoint at a time (`all`: every batch, now). */
  async flush(all = false): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const q of this.#queues.values()) {
      while (q.spans.length > 0 && (all || q.inFlight < MAX_IN_FLIGHT)) {
        q.inFlight++;
        const sent = this.#send(q.target, q.spans.splice(0, MAX_BATCH)).finally(() => {
          q.inFlight--;
          // Batches left behind by the bound go when there is room.
          if (q.spans.length > 0) this.#schedule();
        });
        sends.push(sent);
      }
    }
    await Promise.all(sends);
  }

  async #send(target: OtelTarget, spans: Span[]): Promise<void> {
    const protobuf = target.content_type === 'protobuf';
    const request = traceRequest(spans, this.#resource);
    const encoded = protobuf ? encodeTraceRequest(request) : JSON.stringify(request);
    const gzipped = target.compression === 'gzip';
    const body = gzipped ? await gzipAsync(encoded) : encoded;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#post(target, body, protobuf, gzipped);
      if (outcome.ok) {
        this.#warned.delete(target.url);
        // Accepted in part: the rest is not sent again (OTLP says so), only reported.
        const p = outcome.partial;
        if (p) {
          const why = p.errorMessage ? `: ${p.errorMessage.slice(0, 300)}` : '';
          this.#partial(
            `OpenTelemetry collector at ${new URL(target.url).origin} rejected ${p.rejectedSpans} of ${spans.length} spans${why}`,
          );
        }
        return;
      }
      if (outcome.retry && attempt < MAX_ATTEMPTS && !this.#closing) {
        const wait = outcome.afterMs ?? 1000 * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        continue;
      }
      if (!this.#warned.has(target.url)) {
        this.#warned.add(target.url);
        const tries = attempt > 1 ? ` (${attempt} attempts; ${spans.length} spans dropped)` : '';
        this.#log(
          'warn',
          `OpenTelemetry export to ${new URL(target.url).origin} failed: ${outcome.error}${tries}`,
        );
      }
      return;
    }
  }

  async #post(
    target: OtelTarget,
    body: string | Buffer,
    protobuf: boolean,
    gzipped: boolean,
  ): Promise<Outcome> {
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          ...target.headers,
          ...(target.authorization ? { authorization: target.authorization } : {}),
          'content-type': protobuf ? 'application/x-protobuf' : 'application/json',
          ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) {
        // The batch is in: an answer that breaks off while read is no reason to send it again.
        const answer = await readUpTo(res, MAX_ANSWER_BYTES).catch(() => new Uint8Array(0));
        return { ok: true, partial: readPartialSuccess(answer, protobuf) };
      }
      await res.body?.cancel();
      return {
        ok: false,
        error: `answered ${res.status}`,
        retry: RETRYABLE.has(res.status),
        afterMs: retryAfterMs(res.headers.get('retry-after')),
      };
    } catch (err) {
      // Unreachable, reset or timed out: worth another try, as a busy answer is.
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, error: `${(err as Error).message}${cause ? ` (${cause})` : ''}`, retry: true };
    }
  }

  /**
   * Sends what is queued, once, all at a time (each try ends within 10 s): a batch still being
   * retried, or failing now, is given up.
   */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.flush(true);
  }
}

/** The start of a response body, at most `max` bytes; the rest is not read. */
async function readUpTo(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, Math.min(size, max));
}
