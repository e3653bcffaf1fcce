import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure } from '../api.ts';
import { ErrorBox, format, Panel, useAction, useLoad } from '../components/common.tsx';
import { BodyView } from '../components/json-view.tsx';
import type { LogDetail } from '../components/log-filters.tsx';
import { canEdit, useSession } from '../session.ts';
import { cost, FeedbackMark, StatusBadge, Thumb } from './logs.tsx';
import './logs.css';

function parseObject(json: string | null): Record<string, unknown> | null {
  if (!json) return null;
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const bytes = (n: number | null) =>
  n == null
    ? '—'
    : n < 1024
      ? `${n} B`
      : n < 1024 * 1024
        ? `${(n / 1024).toFixed(1)} KB`
        : `${(n / 1048576).toFixed(2)} MB`;

function Heads({ head, label }: { head: string | null; label: string }) {
  const h = parseObject(head);
  if (!h) return null;
  const names = Object.keys(h).sort();
  return (
    <details class="heads">
      <summary class="heads-summary">
        {label} ({names.length})
      </summary>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Header</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {names.map((n) => {
              const v = h[n];
              return (
                <tr key={n}>
                  <td class="mono">{n}</td>
                  <td class="mono head-value">{Array.isArray(v) ? v.join(', ') : String(v)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function StoredBody({
  path,
  which,
  contentType,
}: {
  path: string;
  which: 'request' | 'response';
  contentType: string | null;
}) {
  const { api } = useSession();
  const body = useLoad(async () => {
    try {
      return { value: await api.get<unknown>(`${path}/${which}`), missing: null };
    } catch (err) {
      // The log exists (its row loaded), so a 404 here means no body was kept.
      if (err instanceof ApiFailure && err.status === 404) return { value: undefined, missing: err.message };
      throw err;
    }
  }, [path, which]);
  if (body.error) return <ErrorBox error={body.error} />;
  if (!body.data) return <p class="muted">Loading the {which} body…</p>;
  if (body.data.missing !== null) {
    return (
      <div class="not-stored">
        <p>Body not stored</p>
        <p class="muted">{body.data.missing}</p>
      </div>
    );
  }
  return <BodyView value={body.data.value} contentType={contentType} />;
}

function Feedback({ log, path, onSaved }: { log: LogDetail; path: string; onSaved: (l: LogDetail) => void }) {
  const { api } = useSession();
  const [score, setScore] = useState(log.score == null ? '' : String(log.score));
  const saving = useAction();
  const [saved, setSaved] = useState(false);

  const patch = (body: { feedback?: number; score?: number | null }) =>
    saving.run(async () => {
      const { result } = await api.request<LogDetail>('PATCH', path, body);
      onSaved(result);
      setScore(result.score == null ? '' : String(result.score));
      setSaved(true);
    });

  const thumbs = log.feedback === 1 ? 'thumbs up' : log.feedback === -1 ? 'thumbs down' : 'no thumbs';
  return (
    <Panel title="Feedback">
      <ErrorBox error={saving.error} />
      <fieldset class="feedback-buttons">
        <legend class="sr-only">Thumbs</legend>
        <button
          type="button"
          aria-pressed={log.feedback === 1}
          disabled={saving.busy}
          onClick={() => patch({ feedback: log.feedback === 1 ? 0 : 1 })}
        >
          <Thumb /> Thumbs up
        </button>
        <button
          type="button"
          aria-pressed={log.feedback === -1}
          disabled={saving.busy}
          onClick={() => patch({ feedback: log.feedback === -1 ? 0 : -1 })}
        >
          <Thumb down /> Thumbs down
        </button>
      </fieldset>
      <form
        class="score-form"
        onSubmit={(e) => {
          e.preventDefault();
          patch({ score: score.trim() === '' ? null : Number(score) });
        }}
      >
        <label class="field">
          Score (0–100)
          <input
            type="number"
            min="0"
            max="100"
            step="1"
            inputMode="numeric"
            value={score}
            onInput={(e) => setScore((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={saving.busy}>
          Save score
        </button>
      </form>
      <p class="muted" role="status">
        {saved
          ? `Saved: ${thumbs}, ${log.score == null ? 'no score' : `score ${log.score}`}`
          : 'Pressing a pressed thumb again clears it; an empty score clears the score.'}
      </p>
    </Panel>
  );
}

/** `GET …/cache/{key}`: what an entry holds and until when. */
interface CacheEntryInfo {
  stored_at: string;
  expires_at: string | null;
  size: number;
}

/**
 * The cache entry this log's request used or made: whether it is still there and until when, and
 * (with edit) a purge of it alone, so a bad answer stops being served. Null when it is gone.
 */
function CacheEntry({
  gateway,
  cacheKey,
  editable,
}: {
  gateway: string;
  cacheKey: string;
  editable: boolean;
}) {
  const { api } = useSession();
  const path = `/gateways/${encodeURIComponent(gateway)}/cache`;
  const entry = useLoad(
    () =>
      api
        .get<CacheEntryInfo>(`${path}/${cacheKey}`)
        .catch((err: unknown) =>
          err instanceof ApiFailure && err.status === 404 ? null : Promise.reject(err),
        ),
    [path, cacheKey],
  );
  const purging = useAction();
  const purge = () =>
    purging.run(async () => {
      const { result } = await api.request<{ purged: number }>('DELETE', `${path}?key=${cacheKey}`);
      entry.reload();
      return result.purged > 0
        ? 'Purged: the next identical request goes to the provider.'
        : 'Nothing to purge: the entry had expired or was purged already.';
    });
  const info = entry.data;
  return (
    <Panel title="Cache entry">
      <ErrorBox error={entry.error ?? purging.error} />
      {info === undefined ? null : info === null ? (
        <p class="muted">Not in the cache now: it expired or was purged.</p>
      ) : (
        <dl class="facts" aria-label="Cache entry">
          <dt>Stored</dt>
          <dd title={info.stored_at}>{format.time(info.stored_at)}</dd>
          <dt>Expires</dt>
          <dd title={info.expires_at ?? undefined}>{info.expires_at ? format.time(info.expires_at) : '—'}</dd>
          <dt>Size</dt>
          <dd>{bytes(info.size)}</dd>
        </dl>
      )}
      {editable ? (
        <button type="button" disabled={purging.busy} onClick={purge}>
          Purge this entry
        </button>
      ) : null}
      <p class="muted" role="status">
        {purging.done}
      </p>
    </Panel>
  );
}

export function LogDetailPage({ id, gateway }: { id: string; gateway: string }) {
  const { api, identity } = useSession();
  const path = `/gateways/${encodeURIComponent(gateway)}/logs/${encodeURIComponent(id)}`;
  const load = useLoad(
    () =>
      gateway
        ? api.get<LogDetail>(path)
        : Promise.reject(new Error('This link names no gateway: open the log from the Logs page.')),
    [path],
  );
  const [log, setLog] = useState<LogDetail | undefined>(undefined);
  useEffect(() => setLog(load.data), [load.data]);
  const back = `#/logs${gateway ? `?gateway=${encodeURIComponent(gateway)}` : ''}`;

  const meta = parseObject(log?.metadata ?? null);
  const tokens =
    log && (log.tokens_in != null || log.tokens_out != null)
      ? `${format.count(log.tokens_in)} in · ${format.count(log.tokens_out)} out · ${format.count((log.tokens_in ?? 0) + (log.tokens_out ?? 0))} total`
      : '—';

  return (
    <div class="log-detail">
      <p>
        <a href={back}>← Logs{gateway ? ` of ${gateway}` : ''}</a>
      </p>
      <h1>
        Log <span class="mono log-id">{id}</span>
      </h1>
      <ErrorBox error={load.error} />
      {!log && !load.error ? <p class="empty">Loading…</p> : null}
      {log ? (
        <>
          <div class="grid detail-grid">
            <Panel title="Summary">
              <dl class="facts">
                <dt>Status</dt>
                <dd>
                  <StatusBadge log={log} />
                  {log.error ? <div class="bad">{log.error}</div> : null}
                </dd>
                <dt>Provider / model</dt>
                <dd>
                  {log.provider} · {log.model ?? '—'}
                  {log.model_type ? <span class="muted"> ({log.model_type})</span> : null}
                </dd>
                <dt>Created</dt>
                <dd title={log.created_at}>{format.time(log.created_at)}</dd>
                <dt>Duration</dt>
                <dd>{format.ms(log.duration)}</dd>
                <dt>Upstream</dt>
                <dd>
                  {format.ms(log.upstream_duration)}
                  {log.upstream_duration == null && log.cached ? (
                    <span class="muted"> (no provider call)</span>
                  ) : null}
                </dd>
                {log.upstream_first_byte != null ? (
                  <>
                    <dt>Provider's first byte</dt>
                    <dd title="from the call to the provider's first response byte: for a stream, its first token">
                      {format.ms(log.upstream_first_byte)}
                    </dd>
                  </>
                ) : null}
                {log.upstream_duration != null ? (
                  <>
                    <dt>Gateway overhead</dt>
                    <dd>{format.ms(Math.max(0, log.duration - log.upstream_duration))}</dd>
                  </>
                ) : null}
                <dt>Upstream call</dt>
                <dd class="mono">
                  {log.method} {log.path}
                </dd>
                <dt>Tokens</dt>
                <dd>{tokens}</dd>
                <dt>Cost</dt>
                <dd>
                  {cost(log.cost)}{' '}
                  <span class="muted">
                    {log.cost == null ? '(not priced)' : log.custom_cost ? '(custom cost)' : '(price table)'}
                  </span>
                </dd>
                <dt>Cached</dt>
                <dd>{log.cached ? 'Yes, answered from the cache' : 'No'}</dd>
                {log.cache_key ? (
                  <>
                    <dt>Cache key</dt>
                    <dd
                      class="mono"
                      title="SHA-256 of the provider, endpoint, model, credentials and body, or of cf-aig-cache-key: requests with the same key share one entry"
                    >
                      {log.cache_key}
                    </dd>
                  </>
                ) : null}
                <dt>Step / attempt</dt>
                <dd>
                  {log.step == null ? '—' : `step ${log.step}`} · attempt {log.attempt}
                </dd>
                <dt>Request type</dt>
                <dd>{log.request_type}</dd>
                <dt>Feedback</dt>
                <dd>
                  <FeedbackMark log={log} />
                </dd>
                <dt>Sizes</dt>
                <dd>
                  request {bytes(log.request_size)} · response {bytes(log.response_size)}
                </dd>
                <dt>Authenticated</dt>
                <dd>{log.authentication ? 'Yes (gateway token)' : 'No'}</dd>
                {log.user_agent ? (
                  <>
                    <dt>User agent</dt>
                    <dd class="mono">{log.user_agent}</dd>
                  </>
                ) : null}
                <dt>Event ID</dt>
                <dd class="mono">{log.event_id}</dd>
                <dt>Request ID</dt>
                <dd class="mono">{log.request_id}</dd>
              </dl>
            </Panel>
            <div class="grid">
              {canEdit(identity, gateway) ? (
                <Feedback key={log.id} log={log} path={path} onSaved={setLog} />
              ) : null}
              {log.cache_key ? (
                <CacheEntry
                  key={log.cache_key}
                  gateway={gateway}
                  cacheKey={log.cache_key}
                  editable={canEdit(identity, gateway)}
                />
              ) : null}
              <Panel title="Metadata">
                {meta && Object.keys(meta).length > 0 ? (
                  <dl class="facts" aria-label="Metadata">
                    {Object.entries(meta).map(([k, v]) => (
                      <Fragment key={k}>
                        <dt class="mono">{k}</dt>
                        <dd class="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                      </Fragment>
                    ))}
                  </dl>
                ) : (
                  <p class="muted">No metadata (send it with the cf-aig-metadata header).</p>
                )}
              </Panel>
            </div>
          </div>
          <div class="grid bodies" key={path}>
            <section class="panel" aria-label="Request">
              <h2>Request</h2>
              <Heads head={log.request_head} label="Request headers" />
              <StoredBody path={path} which="request" contentType={log.request_content_type} />
            </section>
            <section class="panel" aria-label="Response">
              <h2>Response</h2>
              <Heads head={log.response_head} label="Response headers" />
              <StoredBody path={path} which="response" contentType={log.response_content_type} />
            </section>
          </div>
        </>
      ) : null}
    </div>
  );
}
