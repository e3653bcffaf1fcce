import type { Generated } from 'kysely';

/** Row shapes, shared by the SQLite and Postgres stores. Times are unix milliseconds. */
export interface GatewaysTable {
  account_id: string;
  id: string;
  /** The gateway's settings as JSON (validated by `gateways/schema.ts` on the way in). */
  settings: string;
  created_at: number;
  modified_at: number;
}

export interface TokensTable {
  id: string;
  account_id: string;
  name: string;
  /** SHA-256 of the token value, hex. The value itself is never stored. */
  value_hash: string;
  /** The first characters of the value, to recognise it in a list. */
  preview: string;
  permissions: string;
  /** JSON array of gateway ids, or null for every gateway. */
  gateways: string | null;
  created_at: number;
}

export interface CustomProvidersTable {
  id: string;
  account_id: string;
  slug: string;
  name: string;
  base_url: string;
  /** The other descriptive fields (description, link, enable, beta, examples) as JSON. */
  details: string;
  created_at: number;
  modified_at: number;
}

export interface LogsTable {
  id: string;
  account_id: string;
  gateway_id: string;
  created_at: number;
  provider: string;
  model: string | null;
  path: string;
  method: string;
  status_code: number;
  success: number;
  cached: number;
  /**
   * The cache key (its SHA-256 hex digest, as stored) when caching applied to the request, hit or
   * miss; null otherwise. Requests with the same key share one entry.
   */
  cache_key: string | null;
  duration: number;
  /** Milliseconds of `duration` the attempt spent on the provider call; null when none was made (cache hit, rejected before the call). */
  upstream_duration: number | null;
  /**
   * Milliseconds from the provider call to its first response body byte: for a stream, its first
   * event (the time to first token, as the provider gave it); null when no call was made or no body came.
   */
  upstream_first_byte: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  event_id: string;
  request_id: string;
  metadata: string | null;
  step: number | null;
  /** 1-based attempt within the step: retries and fallback steps each get a row. */
  attempt: number;
  /** US dollars (price table or `cf-aig-custom-cost`); null when nothing prices the request. */
  cost: number | null;
  /** On a cache hit, what the price table says the hit's tokens would have cost (US dollars); null otherwise. */
  saved_cost: number | null;
  /** 1 when the cost came from `cf-aig-custom-cost`. */
  custom_cost: number;
  request_type: string;
  error: string | null;
  /** -1 or 1 from the feedback API; null until given. */
  feedback: number | null;
  /** 0–100 from the feedback API. */
  score: number | null;
  request_content_type: string | null;
  response_content_type: string | null;
  request_size: number | null;
  response_size: number | null;
  user_agent: string | null;
  /** 1 when the gateway required and got a gateway token. */
  authentication: number;
  /** `chat`, `embeddings`, `images`, `audio`, … from the provider path; null when not known. */
  model_type: string | null;
  /** 1 when the request came through `/compat`. */
  compat: number;
  /** Request and response heads as JSON objects, credentials redacted. */
  request_head: string | null;
  response_head: string | null;
  seq: Generated<number>;
}

export interface LogPayloadsTable {
  log_id: string;
  account_id: string;
  gateway_id: string;
  /** zstd-compressed bodies, each capped at `logs.max_body_bytes`; null when not collected. */
  request: Uint8Array | null;
  response: Uint8Array | null;
  request_truncated: number;
  response_truncated: number;
}

export interface CacheEntriesTable {
  account_id: string;
  gateway_id: string;
  /** SHA-256 hex of the request (see `cache/key.ts`). */
  key: string;
  provider: string;
  model: string | null;
  expires_at: number;
  size: number;
  /** `cache/codec.ts` encoding of the entry; empty when it is in `file`. */
  value: Uint8Array;
  /** The file holding a large entry's encoding, in the store's directory of them (migration 10). */
  file: string | null;
}

export interface ProviderKeysTable {
  id: string;
  account_id: string;
  gateway_id: string;
  provider_slug: string;
  alias: string;
  /** 1 when this key is used without `cf-aig-byok-alias`. */
  default_config: number;
  /** AES-256-GCM under the master key, bound to its row (see `keys/crypto.ts`). Never the key in clear. */
  secret: string;
  secret_preview: string;
  rate_limit: number | null;
  rate_limit_period: number | null;
  created_at: number;
  modified_at: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface Database {
  gateways: GatewaysTable;
  tokens: TokensTable;
  custom_providers: CustomProvidersTable;
  logs: LogsTable;
  log_payloads: LogPayloadsTable;
  cache_entries: CacheEntriesTable;
  provider_keys: ProviderKeysTable;
  gatehouse_migrations: MigrationsTable;
}
