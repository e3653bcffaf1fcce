import { Counter, exposition, Gauge, Histogram } from './registry.ts';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

export interface AttemptFacts {
  gateway: string;
  provider: string;
  model: string;
  status: number;
  success: boolean;
  cached: boolean;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  /** Time spent waiting on the provider, in seconds (0 for a cache hit). */
  upstreamSeconds: number;
  /** The rest of the attempt's time: the gateway's own work, in seconds. */
  overheadSeconds: number;
  /** Seconds from the provider call to its first body byte (a stream's first event); null when none came. */
  firstByteSeconds: number | null;
  /** Whether the answer was an event stream. */
  stream: boolean;
}

/**
 * The model label comes from what clients send, so its values are bounded: the first MAX_MODELS
 * distinct models keep their own series, and later ones (or names over MAX_MODEL_LABEL characters)
 * count under OTHER_MODEL. Made-up model names cannot grow memory or the scrape without bound.
 */
export const MAX_MODELS = 1000;
export const MAX_MODEL_LABEL = 128;
export const OTHER_MODEL = '(other)';
/**
 * The provider label of a request whose provider Gatehouse does not know (a misspelt or made-up
 * name in the URL, answered 400): one series for all of them, since the name is the client's.
 */
export const UNKNOWN_PROVIDER = '(unknown)';

/** What `/metrics` exposes: per gateway, provider and model. */
export class GatewayMetrics {
  readonly #models = new Set<string>();
  readonly #requests = new Counter('gatehouse_requests_total', 'Requests (each attempt) by outcome.', [
    'gateway',
    'provider',
    'model',
    'status',
    'cached',
  ]);
  readonly #errors = new Counter('gatehouse_errors_total', 'Attempts that did not succeed.', [
    'gateway',
    'provider',
    'model',
  ]);
  readonly #tokens = new Counter('gatehouse_tokens_total', 'Tokens reported by providers.', [
    'gateway',
    'provider',
    'model',
    'direction',
  ]);
  readonly #cost = new Counter(
    'gatehouse_cost_usd_total',
    'Cost in US dollars (price table or custom cost).',
    ['gateway', 'provider', 'model'],
  );
  readonly #hits = new Counter('gatehouse_cache_hits_total', 'Requests answered from the cache.', [
    'gateway',
    'provider',
  ]);
  readonly #uncharged = new Counter(
    'gatehouse_spend_uncharged_total',
    'Successful requests under spend rules that charged them nothing: no price for the model, or no token counts.',
    ['gateway'],
  );
  readonly #upstream = new Histogram(
    'gatehouse_upstream_duration_seconds',
    'Time waiting on the provider, per attempt.',
    ['provider'],
    SECONDS,
  );
  readonly #firstByte = new Histogram(
    'gatehouse_upstream_first_byte_seconds',
    'Time from the provider call to its first body byte: for a stream, the time to its first token.',
    ['provider', 'stream'],
    SECONDS,
  );
  readonly #overhead = new Histogram(
    'gatehouse_overhead_duration_seconds',
    "The gateway's own time per attempt (total minus the provider's).",
    ['provider'],
    OVERHEAD,
  );
  readonly #queue: Gauge;
  readonly #spilled: Gauge;
  readonly #dropped: Gauge;

  readonly #cacheGauges: Gauge[] = [];

  /** `cache`: what the response cache holds, when its store can tell (not Redis). */
  constructor(
    logs: { queueDepth: () => number; spilled: () => number; dropped: () => number },
    cache?: { held: () => { entries: number; bytes: number }; maxBytes: number },
  ) {
    this.#queue = new Gauge('gatehouse_log_queue_depth', 'Log rows waiting to be written.', logs.queueDepth);
    if (cache) {
      this.#cacheGauges.push(
        new Gauge(
          'gatehouse_cache_entries',
          'Responses the cache store holds on this node.',
          () => cache.held().entries,
        ),
        new Gauge(
          'gatehouse_cache_bytes',
          'Bytes the cache store holds on this node (cache.max_bytes bounds it).',
          () => cache.held().bytes,
        ),
        new Gauge(
          'gatehouse_cache_max_bytes',
          'The bound of the cache store (cache.max_bytes).',
          () => cache.maxBytes,
        ),
      );
    }
    // Rises only while the database is not keeping up: worth an alert.
    this.#spilled = new Gauge(
      'gatehouse_log_rows_spilled_total',
      'Log rows written to the on-disk journal because the database was behind or away.',
      logs.spilled,
      'counter',
    );
    this.#dropped = new Gauge(
      'gatehouse_log_rows_dropped_total',
      'Log rows lost: the database was behind or away and the journal could not be written (a full disk).',
      logs.dropped,
      'counter',
    );
  }

  #modelLabel(model: string): string {
    if (this.#models.has(model)) return model;
    if (model.length > MAX_MODEL_LABEL || this.#models.size >= MAX_MODELS) return OTHER_MODEL;
    this.#models.add(model);
    return model;
  }

  record(f: AttemptFacts): void {
    const where = [f.gateway, f.provider, this.#modelLabel(f.model)];
    this.#requests.inc([...where, String(f.status), f.cached ? 'true' : 'false']);
    if (!f.success) this.#errors.inc(where);
    if (f.tokensIn > 0) this.#tokens.inc([...where, 'in'], f.tokensIn);
    if (f.tokensOut > 0) this.#tokens.inc([...where, 'out'], f.tokensOut);
    if (f.cost > 0) this.#cost.inc(where, f.cost);
    if (f.cached) this.#hits.inc([f.gateway, f.provider]);
    else this.#upstream.observe([f.provider], f.upstreamSeconds);
    if (f.firstByteSeconds !== null)
      this.#firstByte.observe([f.provider, f.stream ? 'true' : 'false'], f.firstByteSeconds);
    this.#overhead.observe([f.provider], f.overheadSeconds);
  }

  /** A request under spend rules whose cost was unknown, so no budget was charged. */
  uncharged(gateway: string): void {
    this.#uncharged.inc([gateway]);
  }

  expose(): string {
    return exposition([
      this.#requests,
      this.#errors,
      this.#tokens,
      this.#cost,
      this.#hits,
      this.#uncharged,
      this.#upstream,
      this.#firstByte,
      this.#overhead,
      this.#queue,
      this.#spilled,
      this.#dropped,
      ...this.#cacheGauges,
    ]);
  }
}
