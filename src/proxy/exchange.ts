import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import { splitRequestHeaders } from '../http/headers.ts';
import type { ProviderAdapter, ResponseFacts } from '../providers/types.ts';
import { ulid } from '../util/ulid.ts';
import type { AigOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';

/**
 * Everything known about one request as it moves through the pipeline, and what the log
 * record is built from at the end. Stages fill it in; none of them reads the database.
 */
export class Exchange {
  readonly startedAt = performance.now();
  readonly createdAt = Date.now();
  readonly logId = ulid();
  readonly route: DataPlaneRoute;
  readonly method: string;
  readonly forwardHeaders: string[];
  readonly gatewayHeaders: ReadonlyMap<string, string>;
  readonly contentType: string | undefined;
  eventId: string;
  gateway: Gateway | undefined;
  options: AigOptions = {};
  provider: ProviderAdapter | undefined;
  body: Buffer | undefined;
  status = 0;
  cached = false;
  facts: ResponseFacts | undefined;
  /** A short reason when the request did not succeed; never a secret. */
  error: string | undefined;
  durationMs = 0;

  constructor(req: IncomingMessage, route: DataPlaneRoute) {
    this.route = route;
    this.method = req.method ?? 'GET';
    const split = splitRequestHeaders(req.rawHeaders);
    this.forwardHeaders = split.forward;
    this.gatewayHeaders = split.gateway;
    this.contentType = req.headers['content-type'];
    // Echo the client's event id only once validated (readOptions); until then use our own.
    this.eventId = this.logId;
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
    let body: unknown;
    const b = this.body;
    const json = this.contentType === undefined || this.contentType.includes('json');
    if (b && b.length > 0 && b.length < 8 * 1024 * 1024 && json) {
      try {
        body = JSON.parse(b.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    this.#model = this.provider.modelFromRequest(this.route.path, body) ?? this.facts?.model ?? null;
    return this.#model;
  }

  #model: string | null | undefined;

  setModel(model: string | null): void {
    this.#model = model;
  }

  /** `cf-aig-*` headers every response carries, failed ones included. */
  responseHeaders(): OutgoingHttpHeaders {
    return {
      'cf-aig-log-id': this.logId,
      'cf-aig-event-id': this.eventId,
      'cf-aig-request-id': this.logId,
    };
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
