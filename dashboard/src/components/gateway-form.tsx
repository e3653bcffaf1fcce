import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { ErrorBox, useAction } from './common.tsx';

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
}

type Verdicts = Partial<Record<string, Verdict>>;

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

/** Every page of a paginated list (tokens, custom providers: short lists, but not capped). */
export async function getAll<T>(api: Api, path: string): Promise<T[]> {
  const out: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 1; ; page++) {
    const { result, info } = await api.request<T[]>('GET', `${path}${sep}page=${page}&per_page=100`);
    out.push(...result);
    if (!info || result.length < 100 || out.length >= info.total_count) return out;
  }
}

/* ---------- confirmation dialog (shared by the gateway pages) ---------- */

/**
 * A modal confirmation. Escape (the dialog's own `cancel`) closes it like the Cancel button.
 * With `requireText`, the confirm button stays disabled until that text is typed, so a slip of
 * the Enter key cannot delete something.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  requireText,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  requireText?: string;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const confirming = useAction();
  const titleId = useId();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const ready = requireText === undefined || typed === requireText;
  const confirm = (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    // The parent closes the dialog once it is done, so the button stays disabled until then.
    confirming.run(onConfirm, { keepBusyOnSuccess: true });
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby={titleId} onClose={onCancel}>
      <form onSubmit={confirm}>
        <h2 id={titleId}>{title}</h2>
        <div class="confirm-body">{children}</div>
        {requireText !== undefined ? (
          <label class="field">
            <span>
              Type <code>{requireText}</code> to confirm
            </span>
            <input
              value={typed}
              autocomplete="off"
              spellcheck={false}
              autofocus
              onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : null}
        <ErrorBox error={confirming.error} />
        <div class="actions">
          <button type="button" onClick={onCancel} autofocus={requireText === undefined}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={!ready || confirming.busy}>
            {confirming.busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/* ---------- small labelled inputs ---------- */

function Hint({ id, children }: { id: string; children?: ComponentChildren }) {
  return children ? (
    <span id={id} class="hint">
      {children}
    </span>
  ) : null;
}

function NumberField({
  label,
  value,
  onInput,
  min,
  max,
  hint,
  placeholder,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  min?: number;
  max?: number;
  hint?: ComponentChildren;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <div class="field-box">
      <label class="field">
        {label}
        <input
          type="number"
          inputMode="numeric"
          value={value}
          min={min}
          max={max}
          placeholder={placeholder}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

function TextField({
  label,
  value,
  onInput,
  hint,
  placeholder,
  type = 'text',
  wide,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  hint?: ComponentChildren;
  placeholder?: string;
  type?: 'text' | 'url' | 'password';
  wide?: boolean;
}) {
  const id = useId();
  return (
    <div class={wide ? 'field-box wide' : 'field-box'}>
      <label class="field">
        {label}
        <input
          type={type as 'text'}
          value={value}
          placeholder={placeholder}
          autocomplete="off"
          spellcheck={false}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

function SelectField<T extends string>({
  label,
  value,
  options,
  onChange,
  hint,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<readonly [T, string]>;
  onChange: (v: T) => void;
  hint?: ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="field-box">
      <label class="field">
        {label}
        <select
          value={value}
          aria-describedby={hint ? id : undefined}
          onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}
        >
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

function Check({
  label,
  checked,
  onChange,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="field-box check-box">
      <label class="check">
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={hint ? id : undefined}
          onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
        />
        {label}
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

function Section({
  title,
  note,
  children,
}: {
  title: string;
  note?: ComponentChildren;
  children: ComponentChildren;
}) {
  const id = useId();
  return (
    <section class="panel gw-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {note ? <p class="hint section-note">{note}</p> : null}
      {children}
    </section>
  );
}

const NotEnforced = () => <span class="badge muted">stored; not enforced yet</span>;

/* ---------- the draft: what the inputs hold, as strings ---------- */

const TECHNIQUES = [
  ['fixed', 'fixed windows'],
  ['sliding', 'sliding window'],
] as const;

const RULE_KEYS = [
  ['gateway', 'the whole gateway'],
  ['token', 'each gateway token'],
  ['provider', 'each provider'],
  ['model', 'each model'],
  ['provider_model', 'each provider + model'],
  ['metadata', 'each metadata value'],
] as const;

/** Llama Guard 3's hazard categories, which the guardrails setting names. */
const GUARDRAIL_CATEGORIES: ReadonlyArray<readonly [string, string]> = [
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

interface RuleDraft {
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

interface DimDraft {
  on: 'provider' | 'model' | 'metadata';
  metaKey: string;
  mode: 'filter' | 'partition';
  values: string;
}

interface SpendDraft {
  base: Partial<SpendRule>;
  id: string;
  enabled: boolean;
  limit: string;
  window: string;
  technique: '' | Technique;
  dims: DimDraft[];
}

interface OtelDraft {
  base: Partial<OtelTarget>;
  url: string;
  headers: string;
  authorization: string;
  contentType: '' | 'json' | 'protobuf';
}

interface Draft {
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

function newRule(): RuleDraft {
  return {
    base: {},
    id: '',
    enabled: true,
    keyKind: 'metadata',
    metaKey: 'user',
    limit: '',
    interval: '60',
    technique: '',
    unit: '',
  };
}

function newSpendRule(): SpendDraft {
  return { base: {}, id: '', enabled: true, limit: '', window: '86400', technique: '', dims: [] };
}

function newOtel(): OtelDraft {
  return { base: {}, url: '', headers: '', authorization: '', contentType: '' };
}

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

/* ---------- the form ---------- */

function TextArea({
  label,
  value,
  onInput,
  hint,
  placeholder,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  hint?: ComponentChildren;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <div class="field-box wide">
      <label class="field">
        {label}
        <textarea
          class="mono"
          value={value}
          placeholder={placeholder}
          spellcheck={false}
          aria-describedby={hint ? id : undefined}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <Hint id={id}>{hint}</Hint>
    </div>
  );
}

const replaceAt = <T,>(items: T[], i: number, patch: Partial<T>): T[] =>
  items.map((x, j) => (j === i ? { ...x, ...patch } : x));
const removeAt = <T,>(items: T[], i: number): T[] => items.filter((_, j) => j !== i);

/**
 * Every setting of one gateway, in sections. Save sends the whole gateway back (PUT); a 400 shows
 * the server's message and keeps what was typed. With `editable` false everything is shown
 * disabled and nothing can be sent.
 */
export function GatewayForm({
  gateway,
  editable,
  save,
}: {
  gateway: Gateway;
  editable: boolean;
  save: (body: Record<string, unknown>) => Promise<Gateway>;
}) {
  const [draft, setDraft] = useState(() => toDraft(gateway));
  const saving = useAction();
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    saving.clearDone();
  };
  const setRule = (i: number, patch: Partial<RuleDraft>) =>
    set({ rate_limits: replaceAt(draft.rate_limits, i, patch) });
  const setSpend = (i: number, patch: Partial<SpendDraft>) =>
    set({ spend_rules: replaceAt(draft.spend_rules, i, patch) });
  const setDim = (i: number, k: number, patch: Partial<DimDraft>) =>
    setSpend(i, { dims: replaceAt(draft.spend_rules[i]!.dims, k, patch) });
  const setOtel = (i: number, patch: Partial<OtelDraft>) => set({ otel: replaceAt(draft.otel, i, patch) });
  const setVerdict = (side: 'prompt' | 'response', cat: string, v: '' | Verdict) =>
    set({ guardrails: { ...draft.guardrails, [side]: { ...draft.guardrails[side], [cat]: v } } });

  const submit = (e: Event) => {
    e.preventDefault();
    if (!editable) return;
    saving.run(async () => {
      const stored = await save(toBody(gateway, draft));
      setDraft(toDraft(stored));
      return 'Saved.';
    });
  };

  const techniqueOptions = (unset: string) => [['', unset] as const, ...TECHNIQUES];

  return (
    <form class="gw-form" onSubmit={submit} noValidate aria-label={`Settings of ${gateway.id}`}>
      {/* A disabled fieldset disables every control in it: a read-only token sees values, not inputs. */}
      <fieldset class="plain stack" disabled={!editable}>
        <Section title="Caching">
          <div class="fields">
            <NumberField
              label="Cache TTL (seconds)"
              value={draft.cache_ttl}
              min={0}
              max={MAX_CACHE_TTL}
              onInput={(v) => set({ cache_ttl: v })}
              hint="0 turns caching off; otherwise 60 s to 30 days. Requests may still ask with cf-aig-cache-ttl."
            />
            <Check
              label="Purge the cache when these settings are saved"
              checked={draft.cache_invalidate_on_update}
              onChange={(v) => set({ cache_invalidate_on_update: v })}
            />
          </div>
        </Section>

        <Section
          title="Rate limits"
          note="One budget of requests per interval for the whole gateway; 0 or empty for none."
        >
          <div class="fields">
            <NumberField
              label="Requests per interval"
              value={draft.rate_limiting_limit}
              min={0}
              onInput={(v) => set({ rate_limiting_limit: v })}
            />
            <NumberField
              label="Interval (seconds)"
              value={draft.rate_limiting_interval}
              min={0}
              onInput={(v) => set({ rate_limiting_interval: v })}
            />
            <SelectField
              label="Technique"
              value={draft.rate_limiting_technique}
              options={techniqueOptions('not set (fixed)')}
              onChange={(v) => set({ rate_limiting_technique: v })}
            />
          </div>
          <h3>Finer rules</h3>
          <p class="hint">
            Each rule gives every value of its key its own budget of requests or tokens (up to 20 rules).
          </p>
          {draft.rate_limits.map((r, i) => (
            <fieldset class="rule" key={i}>
              <legend>Rate limit rule {i + 1}</legend>
              <div class="fields">
                <TextField
                  label="Rule id"
                  value={r.id}
                  onInput={(v) => setRule(i, { id: v })}
                  placeholder="optional"
                />
                <SelectField
                  label="Budget for"
                  value={r.keyKind}
                  options={RULE_KEYS}
                  onChange={(v) => setRule(i, { keyKind: v })}
                />
                {r.keyKind === 'metadata' ? (
                  <TextField
                    label="Metadata key"
                    value={r.metaKey}
                    onInput={(v) => setRule(i, { metaKey: v })}
                    hint="a cf-aig-metadata key, e.g. user"
                  />
                ) : null}
                <NumberField
                  label="Limit"
                  value={r.limit}
                  min={1}
                  onInput={(v) => setRule(i, { limit: v })}
                />
                <SelectField
                  label="Unit"
                  value={r.unit}
                  options={[
                    ['', 'not set (requests)'],
                    ['requests', 'requests'],
                    ['tokens', 'tokens'],
                  ]}
                  onChange={(v) => setRule(i, { unit: v })}
                />
                <NumberField
                  label="Interval (seconds)"
                  value={r.interval}
                  min={1}
                  onInput={(v) => setRule(i, { interval: v })}
                />
                <SelectField
                  label="Technique"
                  value={r.technique}
                  options={techniqueOptions('not set (fixed)')}
                  onChange={(v) => setRule(i, { technique: v })}
                />
                <Check label="Enabled" checked={r.enabled} onChange={(v) => setRule(i, { enabled: v })} />
                {editable ? (
                  <button type="button" onClick={() => set({ rate_limits: removeAt(draft.rate_limits, i) })}>
                    Remove rule {i + 1}
                  </button>
                ) : null}
              </div>
            </fieldset>
          ))}
          {editable ? (
            <button type="button" onClick={() => set({ rate_limits: [...draft.rate_limits, newRule()] })}>
              Add rate limit rule
            </button>
          ) : draft.rate_limits.length === 0 ? (
            <p class="muted">No finer rules.</p>
          ) : null}
        </Section>

        <Section
          title="Spend limits"
          note="Dollar budgets over a window, optionally per provider, model or metadata value (up to 20 rules)."
        >
          <Check
            label="Spend limits enabled"
            checked={draft.spend_enabled}
            onChange={(v) => set({ spend_enabled: v })}
          />
          {draft.spend_rules.map((r, i) => (
            <fieldset class="rule" key={i}>
              <legend>Spend rule {i + 1}</legend>
              <div class="fields">
                <TextField
                  label="Rule id"
                  value={r.id}
                  onInput={(v) => setSpend(i, { id: v })}
                  placeholder="optional"
                />
                <NumberField
                  label="Budget (USD)"
                  value={r.limit}
                  min={0}
                  onInput={(v) => setSpend(i, { limit: v })}
                />
                <NumberField
                  label="Window (seconds)"
                  value={r.window}
                  min={1}
                  onInput={(v) => setSpend(i, { window: v })}
                />
                <SelectField
                  label="Technique"
                  value={r.technique}
                  options={techniqueOptions('not set (sliding)')}
                  onChange={(v) => setSpend(i, { technique: v })}
                />
                <Check label="Enabled" checked={r.enabled} onChange={(v) => setSpend(i, { enabled: v })} />
              </div>
              {r.dims.map((d, k) => (
                <div class="fields dim" key={k}>
                  <SelectField
                    label={`Narrow by (${k + 1})`}
                    value={d.on}
                    options={[
                      ['provider', 'provider'],
                      ['model', 'model'],
                      ['metadata', 'metadata key'],
                    ]}
                    onChange={(v) => setDim(i, k, { on: v })}
                  />
                  {d.on === 'metadata' ? (
                    <TextField
                      label="Metadata key"
                      value={d.metaKey}
                      onInput={(v) => setDim(i, k, { metaKey: v })}
                    />
                  ) : null}
                  <SelectField
                    label="Mode"
                    value={d.mode}
                    options={[
                      ['filter', 'only these values'],
                      ['partition', 'a budget per value'],
                    ]}
                    onChange={(v) => setDim(i, k, { mode: v })}
                  />
                  {d.mode === 'filter' ? (
                    <TextField
                      label="Values"
                      value={d.values}
                      onInput={(v) => setDim(i, k, { values: v })}
                      hint="comma-separated"
                    />
                  ) : null}
                  {editable ? (
                    <button type="button" onClick={() => setSpend(i, { dims: removeAt(r.dims, k) })}>
                      Remove narrowing {k + 1}
                    </button>
                  ) : null}
                </div>
              ))}
              {editable ? (
                <div class="row-actions">
                  <button
                    type="button"
                    onClick={() =>
                      setSpend(i, {
                        dims: [...r.dims, { on: 'provider', metaKey: '', mode: 'filter', values: '' }],
                      })
                    }
                  >
                    Narrow spend rule {i + 1}
                  </button>
                  <button type="button" onClick={() => set({ spend_rules: removeAt(draft.spend_rules, i) })}>
                    Remove spend rule {i + 1}
                  </button>
                </div>
              ) : null}
            </fieldset>
          ))}
          {editable ? (
            <button
              type="button"
              onClick={() => set({ spend_rules: [...draft.spend_rules, newSpendRule()] })}
            >
              Add spend rule
            </button>
          ) : draft.spend_rules.length === 0 ? (
            <p class="muted">No spend rules.</p>
          ) : null}
        </Section>

        <Section title="Logging and retention">
          <div class="fields">
            <Check
              label="Collect logs"
              checked={draft.collect_logs}
              onChange={(v) => set({ collect_logs: v })}
            />
            <NumberField
              label="Keep at most (logs)"
              value={draft.log_management}
              min={0}
              onInput={(v) => set({ log_management: v })}
              hint="empty: no cap"
            />
            <SelectField
              label="When the cap is reached"
              value={draft.log_management_strategy}
              options={[
                ['', 'not set (delete the oldest)'],
                ['DELETE_OLDEST', 'delete the oldest'],
                ['STOP_INSERTING', 'stop storing new logs'],
              ]}
              onChange={(v) => set({ log_management_strategy: v })}
            />
          </div>
          <div class="fields">
            <Check
              label="Log classification"
              checked={draft.log_classification}
              onChange={(v) => set({ log_classification: v })}
              hint={<NotEnforced />}
            />
            <Check
              label="Zero data retention (zdr)"
              checked={draft.zdr}
              onChange={(v) => set({ zdr: v })}
              hint={<NotEnforced />}
            />
            <Check
              label="Logpush"
              checked={draft.logpush}
              onChange={(v) => set({ logpush: v })}
              hint={<NotEnforced />}
            />
          </div>
          <TextArea
            label="Logpush public key"
            value={draft.logpush_public_key}
            onInput={(v) => set({ logpush_public_key: v })}
            hint={<NotEnforced />}
          />
        </Section>

        <Section title="Authentication">
          <div class="fields">
            <Check
              label="Require a gateway token (authentication)"
              checked={draft.authentication}
              onChange={(v) => set({ authentication: v })}
              hint="Requests must send cf-aig-authorization: Bearer <a token with run>. Stored provider keys need this."
            />
            <Check
              label="Use stored provider keys only (byok_only)"
              checked={draft.byok_only}
              onChange={(v) => set({ byok_only: v })}
              hint="The stored key replaces a request's own; a provider without a stored key is refused."
            />
          </div>
        </Section>

        <Section
          title="Retries"
          note="The timeout per attempt has no gateway setting: clients send cf-aig-request-timeout (ms)."
        >
          <div class="fields">
            <NumberField
              label="Max attempts"
              value={draft.retry_max_attempts}
              min={1}
              max={5}
              onInput={(v) => set({ retry_max_attempts: v })}
              hint="1 to 5; empty: 1"
            />
            <NumberField
              label="Delay (ms)"
              value={draft.retry_delay}
              min={0}
              max={5000}
              onInput={(v) => set({ retry_delay: v })}
              hint="0 to 5000; empty: 100"
            />
            <SelectField
              label="Backoff"
              value={draft.retry_backoff}
              options={[
                ['', 'not set (constant)'],
                ['constant', 'constant'],
                ['linear', 'linear'],
                ['exponential', 'exponential'],
              ]}
              onChange={(v) => set({ retry_backoff: v })}
            />
          </div>
        </Section>

        <Section title="OpenTelemetry" note="A span per attempt, sent over OTLP/HTTP to each collector.">
          {draft.otel.map((o, i) => (
            <fieldset class="rule" key={i}>
              <legend>Exporter {i + 1}</legend>
              <div class="fields">
                <TextField
                  label="Collector URL"
                  type="url"
                  wide
                  value={o.url}
                  onInput={(v) => setOtel(i, { url: v })}
                  placeholder="https://collector.example/v1/traces"
                />
                <TextField
                  label="Authorization"
                  type="password"
                  value={o.authorization}
                  onInput={(v) => setOtel(i, { authorization: v })}
                  hint="sent as the Authorization header; optional"
                />
                <SelectField
                  label="Content type"
                  value={o.contentType}
                  options={[
                    ['', 'not set (json)'],
                    ['json', 'json'],
                    ['protobuf', 'protobuf'],
                  ]}
                  onChange={(v) => setOtel(i, { contentType: v })}
                />
              </div>
              <TextArea
                label="Headers"
                value={o.headers}
                onInput={(v) => setOtel(i, { headers: v })}
                placeholder="x-team: search"
                hint={'one "Name: value" per line'}
              />
              {editable ? (
                <button type="button" onClick={() => set({ otel: removeAt(draft.otel, i) })}>
                  Remove exporter {i + 1}
                </button>
              ) : null}
            </fieldset>
          ))}
          {editable ? (
            <button type="button" onClick={() => set({ otel: [...draft.otel, newOtel()] })}>
              Add exporter
            </button>
          ) : draft.otel.length === 0 ? (
            <p class="muted">No exporters.</p>
          ) : null}
        </Section>

        <Section title="Guardrails" note={<NotEnforced />}>
          <div class="table-wrap">
            <table class="guardrails">
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col">Prompts</th>
                  <th scope="col">Responses</th>
                </tr>
              </thead>
              <tbody>
                {GUARDRAIL_CATEGORIES.map(([cat, label]) => (
                  <tr key={cat}>
                    <th scope="row">{label}</th>
                    {(['prompt', 'response'] as const).map((side) => (
                      <td key={side}>
                        <select
                          aria-label={`${cat} on ${side}s`}
                          value={draft.guardrails[side][cat]}
                          onChange={(e) =>
                            setVerdict(side, cat, (e.target as HTMLSelectElement).value as '' | Verdict)
                          }
                        >
                          <option value="">off</option>
                          <option value="FLAG">flag</option>
                          <option value="BLOCK">block</option>
                        </select>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>

        <Section title="Data loss prevention, billing and storage" note={<NotEnforced />}>
          <TextArea
            label="DLP (JSON)"
            value={draft.dlp}
            onInput={(v) => set({ dlp: v })}
            placeholder='{"enabled": true, "action": "FLAG", "profiles": ["…"]}'
            hint="empty: none. Either {enabled, action, profiles} or {enabled, policies: [{id, action, check, enabled, profiles}]}."
          />
          <TextArea
            label="Stripe usage (JSON)"
            value={draft.stripe}
            onInput={(v) => set({ stripe: v })}
            placeholder='{"authorization": "…", "usage_events": [{"payload": "…"}]}'
            hint="empty: none"
          />
          <div class="fields">
            <TextField label="Store id" value={draft.store_id} onInput={(v) => set({ store_id: v })} />
            <SelectField
              label="Workers AI billing mode"
              value={draft.workers_ai_billing_mode}
              options={[
                ['postpaid', 'postpaid'],
                ['unified', 'unified'],
              ]}
              onChange={(v) => set({ workers_ai_billing_mode: v })}
            />
          </div>
        </Section>
      </fieldset>
      {editable ? (
        <div class="savebar">
          <button class="primary" type="submit" disabled={saving.busy}>
            {saving.busy ? 'Saving…' : 'Save'}
          </button>
          <span role="status" class="ok">
            {saving.done}
          </span>
          <ErrorBox error={saving.error} />
        </div>
      ) : null}
    </form>
  );
}
