import { useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { ErrorBox, format, RowsTable, useAction, useLoad } from '../components/common.tsx';
import { CustomProviders } from '../components/custom-providers.tsx';
import { duration, type Gateway, MAX_CACHE_TTL } from '../components/gateway-form/gateway.ts';
import { Tokens } from '../components/tokens.tsx';
import { navigate } from '../router.ts';
import { canEdit, isAdmin, useSession } from '../session.ts';
import './gateways.css';

const PER_PAGE = 50;

function rateLimit(g: Gateway): string {
  const base =
    g.rate_limiting_limit && g.rate_limiting_interval
      ? `${format.count(g.rate_limiting_limit)} / ${duration(g.rate_limiting_interval)}${g.rate_limiting_technique === 'sliding' ? ' sliding' : ''}`
      : 'none';
  const rules = g.rate_limits?.length
    ? ` + ${g.rate_limits.length} rule${g.rate_limits.length > 1 ? 's' : ''}`
    : '';
  return base + rules;
}

function logging(g: Gateway): string {
  if (!g.collect_logs) return 'off';
  return g.log_management ? `on, keep ${format.count(g.log_management)}` : 'on';
}

function GatewayTable({ api }: { api: Api }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const list = useLoad(() => {
    const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
    if (search.trim()) q.set('search', search.trim());
    return api.request<Gateway[]>('GET', `/gateways?${q}`);
  }, [page, search]);
  const rows = list.data?.result ?? [];
  const total = list.data?.info?.total_count ?? rows.length;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));

  return (
    <section class="panel" aria-labelledby="gateway-list-title">
      <div class="toolbar">
        <h2 id="gateway-list-title" class="grow">
          All gateways
        </h2>
        <label class="field">
          Search
          <input
            type="search"
            value={search}
            placeholder="gateway id"
            onInput={(e) => {
              setSearch((e.target as HTMLInputElement).value);
              setPage(1);
            }}
          />
        </label>
      </div>
      <ErrorBox error={list.error} />
      {list.data && rows.length === 0 ? (
        <p class="empty">{search ? 'No gateway matches.' : 'No gateways yet.'}</p>
      ) : null}
      {rows.length > 0 ? (
        <RowsTable
          headers={['Gateway', 'Cache TTL', 'Rate limit', 'Logging', 'Authentication', 'Modified']}
          rows={rows}
          cells={(g) => (
            <>
              <th scope="row">
                <a href={`#/gateways/${encodeURIComponent(g.id)}`}>{g.id}</a>
                {g.is_default ? (
                  <>
                    {' '}
                    <span class="badge muted">default</span>
                  </>
                ) : null}
              </th>
              <td>{g.cache_ttl ? duration(g.cache_ttl) : <span class="muted">off</span>}</td>
              <td>{rateLimit(g)}</td>
              <td>{logging(g)}</td>
              <td>
                {g.authentication ? (
                  <span class="ok">token{g.byok_only ? ', stored keys only' : ''}</span>
                ) : (
                  <span class="warn">open</span>
                )}
              </td>
              <td>{format.time(g.modified_at)}</td>
            </>
          )}
        />
      ) : null}
      {pages > 1 ? (
        <nav class="pager" aria-label="Gateway pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </section>
  );
}

/** Creates a gateway with the settings the API requires, then opens it for the rest. */
function CreateGateway({ api }: { api: Api }) {
  const [id, setId] = useState('');
  const [ttl, setTtl] = useState('0');
  const [limit, setLimit] = useState('0');
  const [interval, setInterval] = useState('60');
  const [technique, setTechnique] = useState<'fixed' | 'sliding'>('fixed');
  const [collectLogs, setCollectLogs] = useState(true);
  const [auth, setAuth] = useState(false);
  const creating = useAction();
  const number = (s: string) => (s.trim() === '' ? 0 : Number(s));

  const create = (e: Event) => {
    e.preventDefault();
    creating.run(
      async () => {
        const { result } = await api.request<Gateway>('POST', '/gateways', {
          id: id.trim(),
          cache_ttl: number(ttl),
          cache_invalidate_on_update: false,
          collect_logs: collectLogs,
          rate_limiting_limit: number(limit),
          rate_limiting_interval: number(interval),
          rate_limiting_technique: technique,
          authentication: auth,
        });
        navigate(`/gateways/${encodeURIComponent(result.id)}`);
      },
      { keepBusyOnSuccess: true },
    );
  };

  return (
    <section class="panel" aria-labelledby="create-gateway-title">
      <h2 id="create-gateway-title">Create a gateway</h2>
      <form onSubmit={create} noValidate aria-label="Create a gateway">
        <ErrorBox error={creating.error} />
        <div class="fields">
          <div class="field-box">
            <label class="field">
              Gateway id
              <input
                value={id}
                autocomplete="off"
                spellcheck={false}
                maxLength={64}
                aria-describedby="new-gateway-id-hint"
                onInput={(e) => setId((e.target as HTMLInputElement).value)}
              />
            </label>
            <span id="new-gateway-id-hint" class="hint">
              letters, digits, “_” and “-”
            </span>
          </div>
          <label class="field">
            Cache TTL (seconds)
            <input
              type="number"
              min={0}
              max={MAX_CACHE_TTL}
              value={ttl}
              onInput={(e) => setTtl((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            Requests per interval
            <input
              type="number"
              min={0}
              value={limit}
              onInput={(e) => setLimit((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            Interval (seconds)
            <input
              type="number"
              min={0}
              value={interval}
              onInput={(e) => setInterval((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            Technique
            <select
              value={technique}
              onChange={(e) => setTechnique((e.target as HTMLSelectElement).value as 'fixed' | 'sliding')}
            >
              <option value="fixed">fixed windows</option>
              <option value="sliding">sliding window</option>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={collectLogs}
              onChange={(e) => setCollectLogs((e.target as HTMLInputElement).checked)}
            />
            Collect logs
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={auth}
              onChange={(e) => setAuth((e.target as HTMLInputElement).checked)}
            />
            Require a gateway token
          </label>
          <button type="submit" class="primary" disabled={creating.busy || id.trim() === ''}>
            {creating.busy ? 'Creating…' : 'Create gateway'}
          </button>
        </div>
      </form>
    </section>
  );
}

export function GatewaysPage() {
  const { api, identity } = useSession();
  return (
    <div class="stack gateways-page">
      <h1>Gateways</h1>
      {canEdit(identity) ? <CreateGateway api={api} /> : null}
      <GatewayTable api={api} />
      {isAdmin(identity) ? <Tokens api={api} /> : null}
      <CustomProviders api={api} editable={canEdit(identity)} />
    </div>
  );
}
