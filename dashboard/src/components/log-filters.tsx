import { useEffect, useState } from 'preact/hooks';

/** A log as `GET …/logs` and the live tail return it (src/management/logs.ts `logResult`). */
export interface LogEntry {
  id: string;
  created_at: string;
  provider: string;
  model: string | null;
  model_type: string | null;
  path: string;
  method: string;
  status_code: number;
  success: boolean;
  cached: boolean;
  /** The cache key's digest when caching applied (hit or miss); requests with the same one share an entry. */
  cache_key: string | null;
  duration: number;
  /** Milliseconds of `duration` spent on the provider call; null when none was made (e.g. a cache hit). */
  upstream_duration: number | null;
  upstream_first_byte: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost: number | null;
  custom_cost: boolean;
  event_id: string;
  request_id: string;
  /** JSON-encoded object, as the Cloudflare SDK types it. */
  metadata: string | null;
  request_type: string;
  request_content_type: string | null;
  response_content_type: string | null;
  step: number | null;
  attempt: number;
  feedback: number;
  score: number | null;
  error: string | null;
}

/** `GET …/logs/{id}` adds the heads and sizes. */
export interface LogDetail extends LogEntry {
  request_head: string | null;
  request_size: number | null;
  response_head: string | null;
  response_size: number | null;
  user_agent: string | null;
  authentication: boolean;
  compatibilityMode: boolean;
}

/** The order_by keys the logs API accepts (src/logs/queries.ts ORDER_BY) that the table shows. */
export type SortKey =
  | 'created_at'
  | 'provider'
  | 'model'
  | 'success'
  | 'cached'
  | 'cost'
  | 'tokens_in'
  | 'tokens_out'
  | 'duration'
  | 'upstream_first_byte'
  | 'feedback';

/**
 * Everything the Logs page shows, kept in the hash (`#/logs?gateway=…&model=…`) so a reload or a
 * shared link opens the same view. Empty strings mean "not set".
 */
export interface LogsState {
  gateway: string;
  page: number;
  perPage: number;
  orderBy: SortKey;
  direction: 'asc' | 'desc';
  live: boolean;
  search: string;
  provider: string;
  model: string;
  success: '' | 'true' | 'false';
  cached: '' | 'true' | 'false';
  costMin: string;
  costMax: string;
  durationMin: string;
  durationMax: string;
  /** The provider's time to its first byte (a stream's first token), over this many ms. */
  firstByteMin: string;
  /** `key=value` pairs (or bare keys), comma-separated. */
  metadata: string;
  /** ISO times. */
  start: string;
  end: string;
}

export type FilterFields = Pick<
  LogsState,
  | 'search'
  | 'provider'
  | 'model'
  | 'success'
  | 'cached'
  | 'costMin'
  | 'costMax'
  | 'durationMin'
  | 'durationMax'
  | 'firstByteMin'
  | 'metadata'
  | 'start'
  | 'end'
>;

export const PER_PAGE = [25, 50, 100, 200] as const;
const SORT_KEYS: SortKey[] = [
  'created_at',
  'provider',
  'model',
  'success',
  'cached',
  'cost',
  'tokens_in',
  'tokens_out',
  'duration',
  'upstream_first_byte',
  'feedback',
];

/** Hash parameter of each filter field. */
const PARAM: Record<keyof FilterFields, string> = {
  search: 'search',
  provider: 'provider',
  model: 'model',
  success: 'success',
  cached: 'cached',
  costMin: 'cost_min',
  costMax: 'cost_max',
  durationMin: 'duration_min',
  durationMax: 'duration_max',
  firstByteMin: 'first_byte_min',
  metadata: 'metadata',
  start: 'start',
  end: 'end',
};

export const EMPTY_FILTERS: FilterFields = {
  search: '',
  provider: '',
  model: '',
  success: '',
  cached: '',
  costMin: '',
  costMax: '',
  durationMin: '',
  durationMax: '',
  firstByteMin: '',
  metadata: '',
  start: '',
  end: '',
};

function bool(v: string | null): '' | 'true' | 'false' {
  return v === 'true' || v === 'false' ? v : '';
}

export function parseState(q: URLSearchParams): LogsState {
  const page = Number(q.get('page'));
  const perPage = Number(q.get('per_page'));
  const orderBy = q.get('order_by') as SortKey | null;
  const filters = { ...EMPTY_FILTERS };
  for (const k of Object.keys(PARAM) as Array<keyof FilterFields>) {
    (filters as Record<string, string>)[k] = q.get(PARAM[k]) ?? '';
  }
  filters.success = bool(q.get('success'));
  filters.cached = bool(q.get('cached'));
  return {
    gateway: q.get('gateway') ?? '',
    page: Number.isInteger(page) && page > 0 ? page : 1,
    perPage: (PER_PAGE as readonly number[]).includes(perPage) ? perPage : 50,
    orderBy: orderBy && SORT_KEYS.includes(orderBy) ? orderBy : 'created_at',
    direction: q.get('dir') === 'asc' ? 'asc' : 'desc',
    live: q.get('live') === '1',
    ...filters,
  };
}

export function stateQuery(s: LogsState): URLSearchParams {
  const q = new URLSearchParams();
  if (s.gateway) q.set('gateway', s.gateway);
  for (const k of Object.keys(PARAM) as Array<keyof FilterFields>) {
    if (s[k]) q.set(PARAM[k], s[k]);
  }
  if (s.orderBy !== 'created_at') q.set('order_by', s.orderBy);
  if (s.direction !== 'desc') q.set('dir', s.direction);
  if (s.page !== 1) q.set('page', String(s.page));
  if (s.perPage !== 50) q.set('per_page', String(s.perPage));
  if (s.live) q.set('live', '1');
  return q;
}

interface ApiFilter {
  key: string;
  operator: 'eq' | 'neq' | 'contains' | 'lt' | 'gt';
  value: Array<string | number | boolean>;
}

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The logs API's `filters` (src/logs/filters.ts) for what the form holds. */
export function apiFilters(f: FilterFields): ApiFilter[] {
  const out: ApiFilter[] = [];
  if (list(f.provider).length > 0) out.push({ key: 'provider', operator: 'eq', value: list(f.provider) });
  if (list(f.model).length > 0) out.push({ key: 'model', operator: 'eq', value: list(f.model) });
  if (f.success) out.push({ key: 'success', operator: 'eq', value: [f.success === 'true'] });
  if (f.cached) out.push({ key: 'cached', operator: 'eq', value: [f.cached === 'true'] });
  const num = (key: string, operator: 'gt' | 'lt', v: string) => {
    if (v.trim() !== '' && Number.isFinite(Number(v))) out.push({ key, operator, value: [Number(v)] });
  };
  num('cost', 'gt', f.costMin);
  num('cost', 'lt', f.costMax);
  num('duration', 'gt', f.durationMin);
  num('duration', 'lt', f.durationMax);
  num('upstream_first_byte', 'gt', f.firstByteMin);
  for (const pair of list(f.metadata)) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (key) out.push({ key: 'metadata.key', operator: 'eq', value: [key] });
    if (eq >= 0) {
      const raw = pair.slice(eq + 1).trim();
      // Metadata values keep their JSON type: `5` may have been sent as 5 or as "5".
      const values: Array<string | number | boolean> = [raw];
      if (raw === 'true' || raw === 'false') values.push(raw === 'true');
      else if (raw !== '' && Number.isFinite(Number(raw))) values.push(Number(raw));
      out.push({ key: 'metadata.value', operator: 'eq', value: values });
    }
  }
  if (f.start) out.push({ key: 'created_at', operator: 'gt', value: [f.start] });
  if (f.end) out.push({ key: 'created_at', operator: 'lt', value: [f.end] });
  return out;
}

/** The list's `search`, applied to live entries too (the tail endpoint takes only `filters`). */
export function matchesSearch(log: LogEntry, search: string): boolean {
  const s = search.trim().toLowerCase();
  if (!s) return true;
  return [log.id, log.event_id, log.provider, log.model, log.path, log.error].some((v) =>
    (v ?? '').toLowerCase().includes(s),
  );
}

/** ISO → the `YYYY-MM-DDTHH:mm` of a datetime-local input, in local time. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function activeFilterCount(f: FilterFields): number {
  return (Object.keys(EMPTY_FILTERS) as Array<keyof FilterFields>).filter((k) => f[k] !== '').length;
}

/**
 * The filter form. Text fields apply on submit (Enter or "Apply"), so typing does not fire a
 * request per keystroke; the selects apply at once.
 */
export function LogFilters({
  value,
  onApply,
  providers,
  models,
}: {
  value: FilterFields;
  onApply: (f: FilterFields) => void;
  providers: string[];
  models: string[];
}) {
  const [draft, setDraft] = useState(() => ({
    ...value,
    start: toLocalInput(value.start),
    end: toLocalInput(value.end),
  }));
  const key = JSON.stringify(value);
  useEffect(() => {
    setDraft({ ...value, start: toLocalInput(value.start), end: toLocalInput(value.end) });
  }, [key]);

  const apply = (d: FilterFields) =>
    onApply({ ...d, start: fromLocalInput(d.start), end: fromLocalInput(d.end) });
  const text = (k: keyof FilterFields) => ({
    name: PARAM[k],
    value: draft[k],
    onInput: (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value }),
  });
  const select = (k: 'success' | 'cached') => ({
    name: PARAM[k],
    value: draft[k],
    onChange: (e: Event) => {
      const next = { ...draft, [k]: (e.target as HTMLSelectElement).value };
      setDraft(next);
      apply(next);
    },
  });

  return (
    <form
      class="log-filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply(draft);
      }}
    >
      <label class="field wide">
        Search
        <input type="search" placeholder="id, event id, provider, model, path, error" {...text('search')} />
      </label>
      <label class="field">
        Provider
        <input list="log-providers" placeholder="openai, anthropic" {...text('provider')} />
      </label>
      <datalist id="log-providers">
        {providers.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <label class="field">
        Model
        <input list="log-models" placeholder="gpt-4o-mini" {...text('model')} />
      </label>
      <datalist id="log-models">
        {models.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <label class="field">
        Status
        <select {...select('success')}>
          <option value="">Any</option>
          <option value="true">Success</option>
          <option value="false">Error</option>
        </select>
      </label>
      <label class="field">
        Cached
        <select {...select('cached')}>
          <option value="">Any</option>
          <option value="true">Cached</option>
          <option value="false">Not cached</option>
        </select>
      </label>
      <label class="field narrow">
        Cost over ($)
        <input type="number" min="0" step="any" inputMode="decimal" {...text('costMin')} />
      </label>
      <label class="field narrow">
        Cost under ($)
        <input type="number" min="0" step="any" inputMode="decimal" {...text('costMax')} />
      </label>
      <label class="field narrow">
        Duration over (ms)
        <input type="number" min="0" step="1" inputMode="numeric" {...text('durationMin')} />
      </label>
      <label class="field narrow">
        Duration under (ms)
        <input type="number" min="0" step="1" inputMode="numeric" {...text('durationMax')} />
      </label>
      <label class="field narrow">
        First byte over (ms)
        <input type="number" min="0" step="1" inputMode="numeric" {...text('firstByteMin')} />
      </label>
      <label class="field">
        Metadata
        <input placeholder="team=search" {...text('metadata')} />
      </label>
      <label class="field">
        From
        <input type="datetime-local" {...text('start')} />
      </label>
      <label class="field">
        Until
        <input type="datetime-local" {...text('end')} />
      </label>
      <div class="filter-actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button
          type="button"
          disabled={activeFilterCount(value) === 0 && activeFilterCount(draft) === 0}
          onClick={() => {
            setDraft({ ...EMPTY_FILTERS });
            onApply({ ...EMPTY_FILTERS });
          }}
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}
