import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Cost } from '../costs/compute.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import { splitRequestHeaders } from '../http/headers.ts';
import type { RuleMatch } from '../limits/rule-limits.ts';
import type { SpendMatch } from '../limits/spend-limit.ts';
import type { ProviderAdapter, ResponseFacts } from '../providers/types.ts';
import { ulid } from '../util/ulid.ts';
import type { CompatTranslation } from './compat.ts';
import type { AigOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';

/**
 * Everything known about one request as it moves through the pipeline, and what the log
 * record is built from at the end. Stages fill it in; none of them reads the database.
 */
export class Exchange {
  /** The request's id; the first attempt's log id too, so the two match for single-step requests. */
  readonly requestId = ulid();
  /** The current attempt's log id, start and creation time: each retry and step is logged apart. */
  logId = this.requestId;
  startedAt = performance.now();
  createdAt = Date.now();
  /** Universal-endpoint step index; null on the provider-native path. */
  step: number | null = null;
  /** 1-based attempt within the step. */
  attempt = 1;
  route: DataPlaneRoute;
  method: string;
  forwardHeaders: string[];
  readonly gatewayHeaders: ReadonlyMap<string, string>;
  contentType: string | undefined;
  eventId: string;
  gateway: Gateway | undefined;
  options: AigOptions = {};
  provider: ProviderAdapter | undefined;
  body: Buffer | undefined;
  status = 0;
  cached = false;
  /** The cache key (a digest) of the current step, when caching applies to it. */
  cacheKey: string | null = null;
  facts: ResponseFacts | undefined;
  /** A short reason when the request did not succeed; never a secret. */
  error: string | undefined;
  durationMs = 0;
  /** The trace all of this request's attempts share, when the client started none. */
  traceId: string | undefined;
  /** Came through `/compat`. */
  compat = false;
  /** The credentials the gateway signed this request with (SigV4), for the cache key; never logged. */
  signedWith: string | undefined;
  /** `/compat` to a provider with its own format: how its answer is rewritten for the client. */
  translation: CompatTranslation | undefined;
  /** The upstream's (or the cached entry's) response head, for the log. */
  upstreamHead: IncomingHttpHeaders | undefined;
  /** Milliseconds the current attempt spent on the provider call (0 for a cache hit). */
  upstreamMs = 0;
  /** Milliseconds from the provider call to its first body byte, once one came (this attempt). */
  upstreamFirstByteMs: number | null = null;
  /** Whether the provider answered this attempt with an event stream. */
  upstreamStreamed = false;
  /** Response body bytes the client got. */
  responseBytes = 0;
  /** The response body as it passed, up to the log's cap (empty when payloads are not kept). */
  captured: Buffer[] = [];
  capturedBytes = 0;
  captureTruncated = false;
  /** Who called an authenticated gateway: a token id, or `admin`. */
  caller: string | undefined;
  /** The `rate_limits` rules this request counted against (token rules hold a reservation). */
  rules: RuleMatch[] | undefined;
  /** The spend rules this request falls under (checked before the upstream call, charged after). */
  spend: SpendMatch[] | undefined;
  /** The current attempt's cost, once it is over. */
  cost: Cost | undefined;
  /** Rate-limit headers for every response of a limited gateway; set once the request was counted. */
  limitHeaders: OutgoingHttpHeaders | undefined;
  /** Set once the current attempt is accounted for (cost, spend, metrics, span, log row), so it never is twice. */
  ended = false;

  constructor(req: IncomingMessage, route: DataPlaneRoute) {
    this.route = route;
    this.method = req.method ?? 'GET';
    const split = splitRequestHeaders(req.rawHeaders);
    this.forwardHeaders = split.forward;
    this.gatewayHeaders = split.gateway;
    this.contentType = req.headers['content-type'];
    // Echo the client's event id only once validated (readOptions); until then use our own.
    this.eventId = this.requestId;
  }

  /** Points the exchange at a universal step: its provider, path, headers and body. */
  useStep(step: {
    index: number;
    route: DataPlaneRoute;
    provider: ProviderAdapter;
    forwardHeaders: string[];
    contentType: string | undefined;
    body: Buffer;
    options: AigOptions;
    signedWith?: string | undefined;
  }): void {
    if (this.step !== null) this.beginAttempt();
    this.step = step.index;
    this.attempt = 1;
    this.route = step.route;
    this.method = 'POST';
    this.provider = step.provider;
    this.forwardHeaders = step.forwardHeaders;
    this.contentType = step.contentType;
    this.body = step.body;
    this.options = step.options;
    this.signedWith = step.signedWith;
    this.#model = undefined;
    this.#json = undefined;
  }

  /** Starts the next attempt: a new log id and clock; what the last one learned is dropped. */
  beginAttempt(): void {
    this.logId = ulid();
    this.attempt++;
    this.startedAt = performance.now();
    this.createdAt = Date.now();
    this.status = 0;
    this.cached = false;
    this.facts = undefined;
    this.error = undefined;
    this.cost = undefined;
    this.ended = false;
    this.upstreamHead = undefined;
    this.upstreamMs = 0;
    this.upstreamFirstByteMs = null;
    this.upstreamStreamed = false;
    this.responseBytes = 0;
    this.captured = [];
    this.capturedBytes = 0;
    this.captureTruncated = false;
  }

  /** Keeps response bytes for the log, up to `limit`. */
  capture(chunk: Buffer, limit: number): void {
    if (this.captureTruncated) return;
    const room = limit - this.capturedBytes;
    if (chunk.length > room) {
      if (room > 0) this.captured.push(chunk.subarray(0, room));
      this.capturedBytes = limit;
      this.captureTruncated = true;
      return;
    }
    this.captured.push(chunk);
    this.capturedBytes += chunk.length;
  }

  /** A forwarded request header's first value, by lower-case name. */
  header(name: string): string | undefined {
    const h = this.forwardHeaders;
    for (let i = 0; i < h.length; i += 2) if (h[i]!.toLowerCase() === name) return h[i + 1];
    return undefined;
  }

  /** The model the client asked for: from the URL or the JSON body, else what the response named. */
  model(): string | null {
    if (this.#model !== undefined) return this.#model;
    if (!this.provider) return null;
    this.#model = this.provider.modelFromRequest(this.route.path, this.json()) ?? this.facts?.model ?? null;
    return this.#model;
  }

  /** A body the gateway built itself, with the object it serialized (parsed already). */
  useBody(body: Buffer, json: unknown): void {
    this.body = body;
    this.#json = json;
    this.#model = undefined;
  }

  /** The request body parsed as JSON, once; undefined when it is not JSON (or too large to parse). */
  json(): unknown {
    if (this.#json !== undefined) return this.#json ?? undefined;
    const b = this.body;
    const isJson = this.contentType === undefined || this.contentType.includes('json');
    this.#json = null;
    if (b && b.length > 0 && b.length < 8 * 1024 * 1024 && isJson) {
      try {
        this.#json = JSON.parse(b.toString('utf8')) as unknown;
      } catch {
        this.#json = null;
      }
    }
    return this.#json ?? undefined;
  }

  #json: unknown;

  #model: string | null | undefined;

  setModel(model: string | null): void {
    this.#model = model;
  }

  /** `cf-aig-*` headers every response carries, failed ones included. */
  responseHeaders(): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {
      'cf-aig-log-id': this.logId,
      'cf-aig-event-id': this.eventId,
      'cf-aig-request-id': this.requestId,
    };
    if (this.step !== null) headers['cf-aig-step'] = String(this.step);
    if (this.limitHeaders) Object.assign(headers, this.limitHeaders);
    return headers;
  }

  failWith(err: GatewayError): void {
    this.status = err.status;
    this.error = err.message;
  }

  finish(): void {
    this.durationMs = Math.round(performance.now() - this.startedAt);
  }

  get succeeded(): boolean {
    return this.status >= 200 && this.status < 300 && !this.error && !this.facts?.error;
  }
}
