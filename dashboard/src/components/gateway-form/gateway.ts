/**
 * A gateway's settings, as `GET /gateways/{id}` answers them (src/gateways/schema.ts is the
 * source of truth; the server validates, this form only shapes the body).
 */
export type Verdict = 'FLAG' | 'BLOCK';
export type Technique = 'fixed' | 'sliding';

export interface RateLimitRule {
  id?: string;
  enabled?: boolean;
  key: string;
  limit: number;
  interval: number;
  technique?: Technique;
  unit?: 'requests' | 'tokens';
}

export type SpendDimension = { mode: 'filter'; values: string[] } | { mode: 'partition' };

export interface SpendRule {
  id?: string;
  enabled?: boolean;
  limit: number;
  limitType: 'cost';
  window: number;
  technique?: Technique;
  model?: SpendDimension;
  provider?: SpendDimension;
  metadata?: Record<string, SpendDimension>;
}

export interface OtelTarget {
  url: string;
  headers: Record<string, string>;
  authorization?: string;
  content_type?: 'json' | 'protobuf';
  compression?: 'none' | 'gzip';
}

export type Verdicts = Partial<Record<string, Verdict>>;

export interface Gateway {
  id: string;
  created_at: string;
  modified_at: string;
  is_default: boolean;
  cache_invalidate_on_update: boolean;
  cache_ttl: number | null;
  collect_logs: boolean;
  rate_limiting_interval: number | null;
  rate_limiting_limit: number | null;
  rate_limiting_technique: Technique | null;
  authentication: boolean;
  log_management: number | null;
  log_management_strategy: 'STOP_INSERTING' | 'DELETE_OLDEST' | null;
  logpush: boolean;
  logpush_public_key: string | null;
  retry_max_attempts: number | null;
  retry_delay: number | null;
  retry_backoff: 'constant' | 'linear' | 'exponential' | null;
  dlp: unknown;
  guardrails: { prompt?: Verdicts; response?: Verdicts } | null;
  otel: OtelTarget[] | null;
  spend_limits: { enabled?: boolean; rules?: SpendRule[] } | null;
  stripe: unknown;
  store_id: string | null;
  zdr: boolean;
  workers_ai_billing_mode: 'postpaid' | 'unified';
  log_classification: boolean;
  byok_only: boolean;
  rate_limits: RateLimitRule[] | null;
}

/** The ceiling the server enforces on cache_ttl: one month. */
export const MAX_CACHE_TTL = 2_592_000;

export function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
