import type { LogRow } from './writer.ts';

/** The logs table's columns, in the order the SQLite insert binds them and a worker batch carries them. */
export const LOG_COLUMNS = [
  'id',
  'account_id',
  'gateway_id',
  'created_at',
  'provider',
  'model',
  'path',
  'method',
  'status_code',
  'success',
  'cached',
  'cache_key',
  'duration',
  'upstream_duration',
  'upstream_first_byte',
  'tokens_in',
  'tokens_out',
  'event_id',
  'request_id',
  'metadata',
  'step',
  'attempt',
  'cost',
  'custom_cost',
  'saved_cost',
  'feedback',
  'score',
  'request_content_type',
  'response_content_type',
  'request_size',
  'response_size',
  'user_agent',
  'authentication',
  'model_type',
  'compat',
  'request_head',
  'response_head',
  'request_type',
  'error',
] as const satisfies ReadonlyArray<keyof LogRow>;

/**
 * Values for the NOT NULL columns added after the first release (as their migrations default
 * them), for a row that lacks them: one an older version wrote to its journal before an upgrade.
 */
export const LOG_DEFAULTS = {
  attempt: 1,
  custom_cost: 0,
  authentication: 0,
  compat: 0,
} as const satisfies Partial<LogRow>;
