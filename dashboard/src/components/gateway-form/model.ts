import type {
  Gateway,
  OtelTarget,
  RateLimitRule,
  SpendDimension,
  SpendRule,
  Technique,
  Verdict,
  Verdicts,
} from './gateway.ts';

/**
 * The form's state, the draft: what the inputs hold, as strings. It is made from the stored gateway
 * (toDraft) and laid back over it to make the PUT body (toBody). Pure: no Preact here.
 */

/** Llama Guard 3's hazard categories, which the guardrails setting names. */
export const GUARDRAIL_CATEGORIES: ReadonlyArray<readonly [string, string]> = [
  ['P1', 'P1'],
  ['S1', 'S1 Violent crimes'],
  ['S2', 'S2 Non-violent crimes'],
  ['S3', 'S3 Sex-related crimes'],
  ['S4', 'S4 Child sexual exploitation'],
  ['S5', 'S5 Defamation'],
  ['S6', 'S6 Specialized advice'],
  ['S7', 'S7 Privacy'],
  ['S8', 'S8 Intellectual property'],
  ['S9', 'S9 Indiscriminate weapons'],
  ['S10', 'S10 Hate'],
  ['S11', 'S11 Suicide and self-harm'],
  ['S12', 'S12 Sexual content'],
  ['S13', 'S13 Elections'],
];

/* ---------- the draft: what the inputs hold, as strings ---------- */

export interface RuleDraft {
  base: Partial<RateLimitRule>;
  id: string;
  enabled: boolean;
  keyKind: string;
  metaKey: string;
  limit: string;
  interval: string;
  technique: '' | Technique;
  unit: '' | 'requests' | 'tokens';
}

export interface DimDraft {
  on: 'provider' | 'model' | 'metadata';
  metaKey: string;
  mode: 'filter' | 'partition';
  values: string;
}

export interface SpendDraft {
  base: Partial<SpendRule>;
  id: string;
  enabled: boolean;
  limit: string;
  window: string;
  technique: '' | Technique;
  dims: DimDraft[];
}

export interface OtelDraft {
  base: Partial<OtelTarget>;
  url: string;
  headers: string;
  authorization: string;
  contentType: '' | 'json' | 'protobuf';
  compression: '' | 'none' | 'gzip';
}

export interface Draft {
  cache_ttl: string;
  cache_invalidate_on_update: boolean;
  rate_limiting_limit: string;
  rate_limiting_interval: string;
  rate_limiting_technique: '' | Technique;
  rate_limits: RuleDraft[];
  spend_enabled: boolean;
  spend_rules: SpendDraft[];
  collect_logs: boolean;
  log_management: string;
  log_management_strategy: '' | 'STOP_INSERTING' | 'DELETE_OLDEST';
  log_classification: boolean;
  zdr: boolean;
  logpush: boolean;
  logpush_public_key: string;
  authentication: boolean;
  byok_only: boolean;
  retry_max_attempts: string;
  retry_delay: string;
  retry_backoff: '' | 'constant' | 'linear' | 'exponential';
  otel: OtelDraft[];
  guardrails: { prompt: Record<string, '' | Verdict>; response: Record<string, '' | Verdict> };
  dlp: string;
  stripe: string;
  store_id: string;
  workers_ai_billing_mode: 'postpaid' | 'unified';
}

const str = (n: number | null | undefined) => (n == null ? '' : String(n));
/** An empty input is `null` (the setting is unset); anything else goes as typed, for the server to judge. */
const num = (s: string): number | null => (s.trim() === '' ? null : Number(s));
const list = (s: string) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

function dimDraft(on: DimDraft['on'], d: SpendDimension, metaKey = ''): DimDraft {
  return { on, metaKey, mode: d.mode, values: d.mode === 'filter' ? d.values.join(', ') : '' };
}

function verdicts(v: Verdicts | undefined): Record<string, '' | Verdict> {
  return Object.fromEntries(GUARDRAIL_CATEGORIES.map(([c]) => [c, v?.[c] ?? '']));
}

function json(v: unknown): string {
  return v == null ? '' : JSON.stringify(v, null, 2);
}

export function toDraft(g: Gateway): Draft {
  return {
    cache_ttl: str(g.cache_ttl),
    cache_invalidate_on_update: g.cache_invalidate_on_update,
    rate_limiting_limit: str(g.rate_limiting_limit),
    rate_limiting_interval: str(g.rate_limiting_interval),
    rate_limiting_technique: g.rate_limiting_technique ?? '',
    rate_limits: (g.rate_limits ?? []).map((r) => {
      const meta = r.key.startsWith('metadata.');
      return {
        base: r,
        id: r.id ?? '',
        enabled: r.enabled !== false,
        keyKind: meta ? 'metadata' : r.key,
        metaKey: meta ? r.key.slice('metadata.'.length) : '',
        limit: String(r.limit),
        interval: String(r.interval),
        technique: r.technique ?? '',
        unit: r.unit ?? '',
      };
    }),
    spend_enabled: g.spend_limits?.enabled !== false,
    spend_rules: (g.spend_limits?.rules ?? []).map((r) => ({
      base: r,
      id: r.id ?? '',
      enabled: r.enabled !== false,
      limit: String(r.limit),
      window: String(r.window),
      technique: r.technique ?? '',
      dims: [
        ...(r.provider ? [dimDraft('provider', r.provider)] : []),
        ...(r.model ? [dimDraft('model', r.model)] : []),
        ...Object.entries(r.metadata ?? {}).map(([k, d]) => dimDraft('metadata', d, k)),
      ],
    })),
    collect_logs: g.collect_logs,
    log_management: str(g.log_management),
    log_management_strategy: g.log_management_strategy ?? '',
    log_classification: g.log_classification,
    zdr: g.zdr,
    logpush: g.logpush,
    logpush_public_key: g.logpush_public_key ?? '',
    authentication: g.authentication,
    byok_only: g.byok_only,
    retry_max_attempts: str(g.retry_max_attempts),
    retry_delay: str(g.retry_delay),
    retry_backoff: g.retry_backoff ?? '',
    otel: (g.otel ?? []).map((o) => ({
      base: o,
      url: o.url,
      headers: Object.entries(o.headers ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
      authorization: o.authorization ?? '',
      contentType: o.content_type ?? '',
      compression: o.compression ?? '',
    })),
    guardrails: { prompt: verdicts(g.guardrails?.prompt), response: verdicts(g.guardrails?.response) },
    dlp: json(g.dlp),
    stripe: json(g.stripe),
    store_id: g.store_id ?? '',
    workers_ai_billing_mode: g.workers_ai_billing_mode,
  };
}

/** Sets an optional field, or leaves it out when `value` is undefined. */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete o[key];
  else o[key] = value;
}

/** An optional boolean that defaults to true: sent as false, or as true only if it was stored before. */
const flag = (on: boolean, before: boolean | undefined) =>
  on ? (before === undefined ? undefined : true) : false;

function parseJson(label: string, text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${label}: not valid JSON (${(err as Error).message})`);
  }
}

function onlySet(v: Record<string, '' | Verdict>): Verdicts | undefined {
  const out = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '')) as Verdicts;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The PUT body: the stored gateway with the draft laid over it. PUT needs the required fields and
 * keeps fields left out, so everything is sent; `null` clears a setting.
 */
export function toBody(g: Gateway, d: Draft): Record<string, unknown> {
  const rateLimits = d.rate_limits.map((r) => {
    const rule: Record<string, unknown> = {
      ...r.base,
      key: r.keyKind === 'metadata' ? `metadata.${r.metaKey.trim()}` : r.keyKind,
      limit: num(r.limit),
      interval: num(r.interval),
    };
    put(rule, 'id', r.id.trim() || undefined);
    put(rule, 'enabled', flag(r.enabled, r.base.enabled));
    put(rule, 'technique', r.technique || undefined);
    put(rule, 'unit', r.unit || undefined);
    return rule;
  });
  const spendRules = d.spend_rules.map((r) => {
    const rule: Record<string, unknown> = {
      ...r.base,
      limit: num(r.limit),
      limitType: 'cost',
      window: num(r.window),
    };
    put(rule, 'id', r.id.trim() || undefined);
    put(rule, 'enabled', flag(r.enabled, r.base.enabled));
    put(rule, 'technique', r.technique || undefined);
    for (const k of ['provider', 'model', 'metadata']) delete rule[k];
    for (const dim of r.dims) {
      const value =
        dim.mode === 'filter' ? { mode: 'filter', values: list(dim.values) } : { mode: 'partition' };
      if (dim.on === 'metadata') {
        const meta = (rule['metadata'] ?? {}) as Record<string, unknown>;
        meta[dim.metaKey.trim()] = value;
        rule['metadata'] = meta;
      } else rule[dim.on] = value;
    }
    return rule;
  });
  const spend =
    spendRules.length === 0 && d.spend_enabled && g.spend_limits == null
      ? null
      : (() => {
          const s: Record<string, unknown> = { rules: spendRules };
          put(s, 'enabled', flag(d.spend_enabled, g.spend_limits?.enabled));
          return s;
        })();
  const otel = d.otel.map((o, i) => {
    const headers: Record<string, string> = {};
    for (const line of o.headers.split('\n')) {
      if (line.trim() === '') continue;
      const at = line.indexOf(':');
      if (at <= 0) throw new Error(`OpenTelemetry exporter ${i + 1}: write each header as "Name: value"`);
      headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    const target: Record<string, unknown> = { ...o.base, url: o.url.trim(), headers };
    put(target, 'authorization', o.authorization || undefined);
    put(target, 'content_type', o.contentType || undefined);
    put(target, 'compression', o.compression || undefined);
    return target;
  });
  const prompt = onlySet(d.guardrails.prompt);
  const response = onlySet(d.guardrails.response);
  return {
    ...g,
    cache_ttl: num(d.cache_ttl),
    cache_invalidate_on_update: d.cache_invalidate_on_update,
    rate_limiting_limit: num(d.rate_limiting_limit),
    rate_limiting_interval: num(d.rate_limiting_interval),
    rate_limiting_technique: d.rate_limiting_technique || null,
    rate_limits: rateLimits.length > 0 ? rateLimits : null,
    spend_limits: spend,
    collect_logs: d.collect_logs,
    log_management: num(d.log_management),
    log_management_strategy: d.log_management_strategy || null,
    log_classification: d.log_classification,
    zdr: d.zdr,
    logpush: d.logpush,
    logpush_public_key: d.logpush_public_key.trim() || null,
    authentication: d.authentication,
    byok_only: d.byok_only,
    retry_max_attempts: num(d.retry_max_attempts),
    retry_delay: num(d.retry_delay),
    retry_backoff: d.retry_backoff || null,
    otel: otel.length > 0 ? otel : null,
    guardrails:
      prompt || response ? { ...(prompt ? { prompt } : {}), ...(response ? { response } : {}) } : null,
    dlp: parseJson('DLP', d.dlp),
    stripe: parseJson('Stripe', d.stripe),
    store_id: d.store_id.trim() || null,
    workers_ai_billing_mode: d.workers_ai_billing_mode,
  };
}
