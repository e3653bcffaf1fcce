import { useEffect, useState } from 'preact/hooks';
import { ApiFailure } from '../api.ts';
import { ErrorBox, format, useLoad } from '../components/common.tsx';
import {
  activeFilterCount,
  apiFilters,
  EMPTY_FILTERS,
  type FilterFields,
  type LogEntry,
  LogFilters,
  type LogsState,
  matchesSearch,
  PER_PAGE,
  parseState,
  type SortKey,
  stateQuery,
} from '../components/log-filters.tsx';
import { navigate, replaceQuery, useRoute } from '../router.ts';
import { useSession } from '../session.ts';
import './logs.css';

interface GatewaySummary {
  id: string;
}

const COLUMNS: Array<{ label: string; sort: SortKey; num?: boolean }> = [
  { label: 'Time', sort: 'created_at' },
  { label: 'Status', sort: 'success' },
  { label: 'Provider', sort: 'provider' },
  { label: 'Model', sort: 'model' },
  { label: 'Tokens in', sort: 'tokens_in', num: true },
  { label: 'Tokens out', sort: 'tokens_out', num: true },
  { label: 'Cost', sort: 'cost', num: true },
  { label: 'Duration', sort: 'duration', num: true },
  { label: 'First byte', sort: 'upstream_first_byte', num: true },
  { label: 'Cached', sort: 'cached' },
  { label: 'Feedback', sort: 'feedback' },
];

const tiny = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 2,
});

/** Cheap calls cost fractions of a cent; four decimals would show them all as $0.00. */
export function cost(v: number | null): string {
  return v != null && v > 0 && v < 0.01 ? tiny.format(v) : format.money(v);
}

/** Live entries kept in memory at most; older ones are a reload away. */
const LIVE_CAP = 500;
/** How soon a live tail that was following reconnects once its stream ends (as `gatehouse logs tail`). */
const RECONNECT_MS = 1000;

export function logHref(gateway: string, id: string): string {
  return `#/logs/${encodeURIComponent(id)}?gateway=${encodeURIComponent(gateway)}`;
}

export function StatusBadge({ log }: { log: Pick<LogEntry, 'success' | 'status_code'> }) {
  return (
    <span class={log.success ? 'ok' : 'bad'}>
      <span class="badge">{log.success ? 'Success' : 'Error'}</span> {log.status_code}
    </span>
  );
}

const THUMB =
  'M7 10v12M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z';
const svg = {
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  'stroke-width': '2',
  'stroke-linecap': 'round',
  'stroke-linejoin': 'round',
} as const;

/** A thumb drawn inline: emoji fonts are missing on some systems (and in headless screenshots). */
export function Thumb({ down, label }: { down?: boolean; label?: string }) {
  const cls = `thumb ${down ? 'down' : 'up'}`;
  return label ? (
    <svg class={cls} {...svg} role="img" aria-label={label}>
      <path d={THUMB} />
    </svg>
  ) : (
    <svg class={cls} {...svg} aria-hidden="true">
      <path d={THUMB} />
    </svg>
  );
}

export function FeedbackMark({ log }: { log: Pick<LogEntry, 'feedback' | 'score'> }) {
  if (!log.feedback && log.score == null) return <span class="muted">—</span>;
  return (
    <span class="feedback-mark">
      {log.feedback === 1 ? <Thumb label="thumbs up" /> : null}
      {log.feedback === -1 ? <Thumb down label="thumbs down" /> : null}
      {log.score != null ? <span title="score">{log.score}</span> : null}
    </span>
  );
}

export function LogsPage() {
  const { api } = useSession();
  const route = useRoute();
  const state = parseState(route.query);
  const update = (change: Partial<LogsState>) => replaceQuery(stateQuery({ ...state, ...change }));

  const gateways = useLoad(() => api.get<GatewaySummary[]>('/gateways?per_page=100'), []);
  const gatewayIds = gateways.data?.map((g) => g.id) ?? [];
  // A link may name a gateway that is gone; keep it selectable so the server's 404 is what shows.
  const options =
    state.gateway && gateways.data && !gatewayIds.includes(state.gateway)
      ? [...gatewayIds, state.gateway]
      : gatewayIds;
  const gateway = state.gateway || (gatewayIds.includes('default') ? 'default' : (gatewayIds[0] ?? ''));
  // The chosen gateway goes into the hash, so the link and a reload keep it.
  useEffect(() => {
    if (!state.gateway && gateway) update({ gateway });
  }, [state.gateway, gateway]);

  const filterFields = Object.fromEntries(
    (Object.keys(EMPTY_FILTERS) as Array<keyof FilterFields>).map((k) => [k, state[k]]),
  ) as unknown as FilterFields;
  const filters = apiFilters(filterFields);
  const filtersJson = filters.length > 0 ? JSON.stringify(filters) : '';
  const q = new URLSearchParams({
    page: String(state.page),
    per_page: String(state.perPage),
    order_by: state.orderBy,
    order_by_direction: state.direction,
  });
  if (state.search) q.set('search', state.search);
  if (filtersJson) q.set('filters', filtersJson);
  const base = `/gateways/${encodeURIComponent(gateway)}/logs`;
  const listPath = `${base}?${q}`;

  const list = useLoad(
    () => (gateway ? api.request<LogEntry[]>('GET', listPath) : Promise.resolve(null)),
    [listPath],
  );

  const [filtersOpen, setFiltersOpen] = useState(() => activeFilterCount(state) > 0);
  const [liveRows, setLiveRows] = useState<LogEntry[]>([]);
  const [liveState, setLiveState] = useState<'off' | 'connecting' | 'reconnecting' | 'on'>('off');
  const [liveError, setLiveError] = useState<unknown>(null);
  useEffect(() => setLiveRows([]), [listPath]);
  const reloadList = list.reload;
  useEffect(() => {
    if (!state.live || !gateway) {
      setLiveState('off');
      return;
    }
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    setLiveError(null);
    const search = state.search;
    // Once the tail has followed, an end (a gateway restart, a proxy cutting an idle stream) or a
    // network error is retried every second; an answer that is an error (a revoked token, a
    // deleted gateway), or a first connection that fails, stops it and says why.
    let followed = false;
    const connect = () => {
      setLiveState(followed ? 'reconnecting' : 'connecting');
      const lost = (err: unknown) => {
        if (controller.signal.aborted) return;
        if (followed && !(err instanceof ApiFailure)) {
          setLiveState('reconnecting');
          retry = setTimeout(connect, RECONNECT_MS);
          return;
        }
        setLiveError(
          err ?? new Error('The live tail ended: the gateway closed the stream. Turn Live on to resume.'),
        );
        setLiveState('off');
      };
      api
        .events(
          `${base}/tail${filtersJson ? `?filters=${encodeURIComponent(filtersJson)}` : ''}`,
          (data) => {
            const msg = JSON.parse(data) as LogEntry | { ready: true };
            if ('ready' in msg) {
              // Entries stored while the tail was away come with the list.
              if (followed) reloadList();
              followed = true;
              setLiveState('on');
              return;
            }
            if (!matchesSearch(msg, search)) return;
            setLiveRows((rows) =>
              rows.some((r) => r.id === msg.id) ? rows : [msg, ...rows].slice(0, LIVE_CAP),
            );
          },
          controller.signal,
        )
        .then(
          () => lost(null),
          (err: unknown) => lost(err),
        );
    };
    connect();
    return () => {
      controller.abort();
      clearTimeout(retry);
    };
  }, [state.live, gateway, filtersJson, state.search]);

  const loaded = list.data?.result ?? [];
  const loadedIds = new Set(loaded.map((r) => r.id));
  const fresh = liveRows.filter((r) => !loadedIds.has(r.id));
  const rows = [...fresh, ...loaded];
  const total = (list.data?.info?.total_count ?? 0) + fresh.length;
  const pages = Math.max(1, Math.ceil((list.data?.info?.total_count ?? 0) / state.perPage));
  const newestFirst = state.orderBy === 'created_at' && state.direction === 'desc' && state.page === 1;

  const providers = [...new Set(rows.map((r) => r.provider).filter(Boolean))].sort();
  const models = [...new Set(rows.map((r) => r.model).filter((m): m is string => !!m))].sort();

  const sortBy = (key: SortKey) =>
    update({
      orderBy: key,
      direction: state.orderBy === key && state.direction === 'desc' ? 'asc' : 'desc',
      page: 1,
    });
  const open = (id: string) => navigate(logHref(gateway, id).slice(1));

  return (
    <div class="logs-page">
      <div class="logs-head">
        <h1>Logs</h1>
        <div class="toolbar">
          <label class="field">
            Gateway
            <select
              value={gateway}
              disabled={options.length === 0}
              onChange={(e) => update({ gateway: (e.target as HTMLSelectElement).value, page: 1 })}
            >
              {options.length === 0 ? <option value="">No gateways</option> : null}
              {options.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="live-toggle"
            aria-pressed={state.live}
            disabled={!gateway}
            onClick={() => update({ live: !state.live })}
          >
            <span class={`live-dot ${liveState}`} aria-hidden="true" /> Live
          </button>
          <button type="button" onClick={list.reload} disabled={!gateway || list.loading}>
            Refresh
          </button>
          <span class="muted live-status" role="status">
            {liveState === 'on'
              ? 'Live: following new entries'
              : liveState === 'connecting'
                ? 'Live: connecting…'
                : liveState === 'reconnecting'
                  ? 'Live: the stream ended; reconnecting…'
                  : ''}
          </span>
        </div>
      </div>

      <ErrorBox error={gateways.error} />
      <ErrorBox error={liveError} />

      <details
        class="panel filters-panel"
        open={filtersOpen}
        onToggle={(e) => setFiltersOpen((e.currentTarget as HTMLDetailsElement).open)}
      >
        <summary>
          Filters
          {activeFilterCount(state) > 0 ? ` (${activeFilterCount(state)} active)` : ''}
        </summary>
        <LogFilters
          value={filterFields}
          onApply={(f) => update({ ...f, page: 1 })}
          providers={providers}
          models={models}
        />
      </details>

      {state.live && !newestFirst ? (
        <p class="muted">
          New entries are added at the top; this page is not the newest first, so they may not belong here
          once you reload.
        </p>
      ) : null}

      <ErrorBox error={list.error} />

      <section class="panel" aria-label="Logs" aria-busy={list.loading}>
        {!gateway && !gateways.loading ? (
          <p class="empty">No gateway to show logs for yet.</p>
        ) : rows.length === 0 && !list.loading ? (
          <p class="empty">
            {activeFilterCount(state) > 0 ? 'No logs match these filters.' : 'No logs on this gateway yet.'}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="logs-table">
              <thead>
                <tr>
                  {COLUMNS.map((c) => {
                    const sorted = state.orderBy === c.sort;
                    return (
                      <th
                        key={c.sort}
                        class={c.num ? 'num' : undefined}
                        aria-sort={
                          sorted ? (state.direction === 'asc' ? 'ascending' : 'descending') : undefined
                        }
                      >
                        <button type="button" onClick={() => sortBy(c.sort)}>
                          {c.label}
                          <span class="sort-mark" aria-hidden="true">
                            {sorted ? (state.direction === 'asc' ? ' ▲' : ' ▼') : ''}
                          </span>
                        </button>
                      </th>
                    );
                  })}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr
                    key={r.id}
                    class={`clickable${loadedIds.has(r.id) ? '' : ' live-row'}`}
                    tabIndex={0}
                    data-log-id={r.id}
                    onClick={(e) => {
                      // A modified click on the link opens a tab; leave it to the browser.
                      if ((e.target as HTMLElement).closest('a')) return;
                      open(r.id);
                    }}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' && e.target === e.currentTarget) open(r.id);
                    }}
                  >
                    <td>
                      <a href={logHref(gateway, r.id)} tabIndex={-1}>
                        {format.time(r.created_at)}
                      </a>
                    </td>
                    <td title={r.error ?? undefined}>
                      <StatusBadge log={r} />
                    </td>
                    <td>{r.provider}</td>
                    <td>{r.model ?? <span class="muted">—</span>}</td>
                    <td class="num">{format.count(r.tokens_in)}</td>
                    <td class="num">{format.count(r.tokens_out)}</td>
                    <td class="num">{cost(r.cost)}</td>
                    <td class="num">{format.ms(r.duration)}</td>
                    <td class="num" title="The provider's first byte">
                      {format.ms(r.upstream_first_byte)}
                    </td>
                    <td>{r.cached ? <span class="badge">Cached</span> : <span class="muted">—</span>}</td>
                    <td>
                      <FeedbackMark log={r} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.loading && rows.length === 0 && gateway ? <p class="empty">Loading…</p> : null}

        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={state.page <= 1} onClick={() => update({ page: state.page - 1 })}>
            Previous
          </button>
          <span>
            Page {state.page} of {pages} · {format.count(total)} {total === 1 ? 'log' : 'logs'}
          </span>
          <button
            type="button"
            disabled={state.page >= pages}
            onClick={() => update({ page: state.page + 1 })}
          >
            Next
          </button>
          <label class="per-page">
            Per page{' '}
            <select
              value={String(state.perPage)}
              onChange={(e) => update({ perPage: Number((e.target as HTMLSelectElement).value), page: 1 })}
            >
              {PER_PAGE.map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </nav>
      </section>
    </div>
  );
}
