import { z } from 'zod';

/** One month, the hosted product's cache TTL ceiling (SPEC.md §15). */
export const MAX_CACHE_TTL_SECONDS = 2_592_000;

export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const verdict = z.enum(['FLAG', 'BLOCK']);
const RATE_KEY_KINDS = ['gateway', 'token', 'provider', 'model', 'provider_model'];
const RATE_KEY_RULE = `must be ${RATE_KEY_KINDS.join(', ')} or metadata.<key>`;
const CACHE_TTL_RULE = `must be 0 or null (no caching), or an integer number of seconds from 60 to ${MAX_CACHE_TTL_SECONDS}`;
const guardrailCategories = z
  .object(
    Object.fromEntries(
      ['P1', ...Array.from({ length: 13 }, (_, i) => `S${i + 1}`)].map((k) => [k, verdict.optional()]),
    ),
  )
  .strict();

const dlpPolicy = z
  .object({
    id: z.string().min(1),
    action: verdict,
    check: z.array(z.enum(['REQUEST', 'RESPONSE'])).min(1),
    enabled: z.boolean(),
    profiles: z.array(z.string()),
  })
  .strict();

const spendDimension = z.union(
  [
    z.object({ mode: z.literal('filter'), values: z.array(z.string()).min(1) }).strict(),
    z.object({ mode: z.literal('partition') }).strict(),
  ],
  { error: 'must be {"mode": "filter", "values": ["…", …]} or {"mode": "partition"}' },
);

const spendRule = z
  .object({
    id: z.string().optional(),
    enabled: z.boolean().optional(),
    limit: z.number().positive(),
    limitType: z.literal('cost'),
    window: z.number().int().positive(),
    technique: z.enum(['fixed', 'sliding']).optional(),
    model: spendDimension.optional(),
    provider: spendDimension.optional(),
    metadata: z.record(z.string(), spendDimension).optional(),
  })
  .strict();

/**
 * Gatehouse's finer rate limits (beyond the hosted product's one per gateway): each rule gives
 * every value of its key (a metadata value, the gateway token, the provider, the model) its own
 * budget of requests or tokens per interval.
 */
const rateLimitRule = z
  .object({
    id: z.string().min(1).max(64).optional(),
    enabled: z.boolean().optional(),
    key: z
      .string({ error: RATE_KEY_RULE })
      .regex(new RegExp(`^(?:${RATE_KEY_KINDS.join('|')}|metadata\\.[^.]{1,64})$`), RATE_KEY_RULE),
    limit: z.number().positive(),
    interval: int(1, 86_400 * 31),
    technique: z.enum(['fixed', 'sliding']).optional(),
    unit: z.enum(['requests', 'tokens']).optional(),
  })
  .strict();

/**
 * Every settings field of SPEC.md §9. Fields whose features arrive later are validated and
 * stored now, so a configuration written today keeps working when the feature lands.
 */
export const gatewaySettingsShape = {
  cache_invalidate_on_update: z.boolean(),
  cache_ttl: z
    .number({ error: CACHE_TTL_RULE })
    .refine((v) => v === 0 || (Number.isInteger(v) && v >= 60 && v <= MAX_CACHE_TTL_SECONDS), CACHE_TTL_RULE)
    .nullable(),
  collect_logs: z.boolean(),
  rate_limiting_interval: int(0, 86_400 * 31).nullable(),
  rate_limiting_limit: int(0, 1_000_000_000).nullable(),
  rate_limiting_technique: z.enum(['fixed', 'sliding']).nullable(),
  authentication: z.boolean(),
  log_management: int(0, 1_000_000_000).nullable(),
  log_management_strategy: z.enum(['STOP_INSERTING', 'DELETE_OLDEST']).nullable(),
  logpush: z.boolean(),
  logpush_public_key: z.string().nullable(),
  retry_max_attempts: int(1, 5).nullable(),
  retry_delay: int(0, 5000).nullable(),
  retry_backoff: z.enum(['constant', 'linear', 'exponential']).nullable(),
  dlp: z
    .union([
      z.object({ action: verdict, enabled: z.boolean(), profiles: z.array(z.string()) }).strict(),
      z.object({ enabled: z.boolean(), policies: z.array(dlpPolicy) }).strict(),
    ])
    .nullable(),
  guardrails: z
    .object({ prompt: guardrailCategories, response: guardrailCategories })
    .partial()
    .strict()
    .nullable(),
  otel: z
    .array(
      z
        .object({
          url: z.url(),
          headers: z.record(z.string(), z.string()).default({}),
          authorization: z.string().optional(),
          content_type: z.enum(['json', 'protobuf']).optional(),
          // Not in the hosted product's setting: OTLP/HTTP's optional gzip, as its SDKs offer it.
          compression: z.enum(['none', 'gzip']).optional(),
        })
        .strict(),
    )
    .nullable(),
  spend_limits: z
    .object({ enabled: z.boolean().optional(), rules: z.array(spendRule).max(20).optional() })
    .strict()
    .nullable(),
  stripe: z
    .object({
      authorization: z.string(),
      usage_events: z.array(z.object({ payload: z.string() }).strict()),
    })
    .strict()
    .nullable(),
  store_id: z.string().nullable(),
  zdr: z.boolean(),
  workers_ai_billing_mode: z.enum(['postpaid', 'unified']),
  log_classification: z.boolean(),
  byok_only: z.boolean(),
  /** Gatehouse's own: finer rate limits (see `rateLimitRule`). */
  rate_limits: z.array(rateLimitRule).max(20).nullable(),
} as const;

export type GatewaySettings = {
  [K in keyof typeof gatewaySettingsShape]: z.infer<(typeof gatewaySettingsShape)[K]>;
};

/** Fields the hosted API requires on create and on update (SPEC.md §9 "req"). */
export const REQUIRED_FIELDS = [
  'cache_invalidate_on_update',
  'cache_ttl',
  'collect_logs',
  'rate_limiting_interval',
  'rate_limiting_limit',
] as const;

/** Response-only fields that a client may send back unchanged after a GET; they are ignored. */
export const READ_ONLY_FIELDS = [
  'created_at',
  'modified_at',
  'is_default',
  'account_id',
  'wholesale',
] as const;

export const DEFAULT_SETTINGS: GatewaySettings = {
  cache_invalidate_on_update: false,
  cache_ttl: 0,
  collect_logs: true,
  rate_limiting_interval: 0,
  rate_limiting_limit: 0,
  rate_limiting_technique: 'fixed',
  authentication: false,
  log_management: null,
  log_management_strategy: null,
  logpush: false,
  logpush_public_key: null,
  retry_max_attempts: null,
  retry_delay: null,
  retry_backoff: null,
  dlp: null,
  guardrails: null,
  otel: null,
  spend_limits: null,
  stripe: null,
  store_id: null,
  zdr: false,
  workers_ai_billing_mode: 'postpaid',
  log_classification: false,
  byok_only: false,
  rate_limits: null,
};

/** A gateway as the data plane sees it: settings plus identity, held in memory. */
export interface Gateway {
  accountId: string;
  id: string;
  settings: GatewaySettings;
  createdAt: number;
  modifiedAt: number;
}
