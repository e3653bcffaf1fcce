import { useEffect, useRef } from 'preact/hooks';
import type { Api } from '../api.ts';
import { Chart, type ChartSeries } from '../components/chart.tsx';
import { ErrorBox, format, Panel, useLoad } from '../components/common.tsx';
import { replaceQuery, useRoute } from '../router.ts';
import { useSession } from '../session.ts';
import './overview.css';

/** The fields of a point of `GET /analytics` (and of a series' `totals`, which has no time). */
interface Numbers {
  requests: number;
  errors: number;
  cached: number;
  tokens_in: number;
  tokens_out: number;
  cost: number;
  saved_cost: number;
  latency_p50: number | null;
  latency_p90: number | null;
  latency_p99: number | null;
  /** The provider's first byte (a stream's first event), over the requests that reached one. */
  first_byte_p50: number | null;
}

interface Series {
  group: string | null;
  points: Array<Numbers & { time: string }>;
  totals: Numbers;
}

interface Analytics {
  start: string;
  end: string;
  bucket: 'minute' | 'hour' | 'day';
  series: Series[];
}

const RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
} as const;
type RangeKey = keyof typeof RANGES;
const DEFAULT_RANGE: RangeKey = '24h';

const GROUPS = { provider: 'Provider', model: 'Model' } as const;
type GroupKey = keyof typeof GROUPS;

const REFRESH_MS = 30_000;
/** The cost chart draws the biggest groups apart and sums the rest, so the colours stay distinct. */
const COST_LINES = 5;

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const cents = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 3,
});
/** Per-request prices are fractions of a cent: shown to three significant digits, not as $0.00. */
function money(v: number | null | undefined): string {
  if (v == null) return '—';
  return v !== 0 && Math.abs(v) < 1 ? cents.format(v) : dollars.format(v);
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

async function allGateways(api: Api): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { result, info } = await api.request<Array<{ id: string }>>(
      'GET',
      `/gateways?per_page=100&page=${page}`,
    );
    ids.push(...result.map((g) => g.id));
    if (!info || result.length === 0 || ids.length >= info.total_count) return ids;
  }
}

function groupName(group: string | null): string {
  return group ?? '(none)';
}

/** The biggest groups' costs, and the others summed into one line. */
function costLines(series: Series[]): ChartSeries[] {
  const lines: ChartSeries[] = series
    .slice(0, COST_LINES)
    .map((s) => ({ label: groupName(s.group), values: s.points.map((p) => p.cost) }));
  const rest = series.slice(COST_LINES);
  if (rest.length > 0) {
    lines.push({
      label: `${rest.length} others`,
      values: rest[0]!.points.map((_, i) => rest.reduce((n, s) => n + (s.points[i]?.cost ?? 0), 0)),
    });
  }
  return lines;
}

function Card({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="panel card">
      <dt class="label">{label}</dt>
      <dd class="value">{value}</dd>
      {detail ? <dd class="detail muted">{detail}</dd> : null}
    </div>
  );
}

function Segmented<K extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: Record<K, string>;
  value: K;
  onChange: (k: K) => void;
}) {
  return (
    <fieldset class="segmented">
      <legend>{label}</legend>
      {(Object.keys(options) as K[]).map((k) => (
        <button key={k} type="button" aria-pressed={k === value} onClick={() => onChange(k)}>
          {options[k]}
        </button>
      ))}
    </fieldset>
  );
}

export function OverviewPage() {
  const { api } = useSession();
  const { query } = useRoute();
  const rangeKey: RangeKey =
    (query.get('range') ?? '') in RANGES ? (query.get('range') as RangeKey) : DEFAULT_RANGE;
  const range = RANGES[rangeKey];
  const gateway = query.get('gateway') ?? '';
  const groupKey: GroupKey = query.get('group') === 'model' ? 'model' : 'provider';

  // The choices live in the address, so a reload or a shared link shows the same view.
  const choose = (name: string, value: string, fallback: string) => {
    const q = new URLSearchParams(query);
    if (value === fallback) q.delete(name);
    else q.set(name, value);
    replaceQuery(q);
  };

  const gateways = useLoad(() => allGateways(api), [api]);
  const stats = useLoad(async () => {
    const end = Date.now();
    const params = (groupBy?: GroupKey) => {
      const p = new URLSearchParams({
        start: String(end - range.ms),
        end: String(end),
        bucket: range.bucket,
        first_byte: 'true',
      });
      if (gateway) p.set('gateway', gateway);
      if (groupBy) p.set('group_by', groupBy);
      return `/analytics?${p}`;
    };
    const [all, grouped] = await Promise.all([
      api.get<Analytics>(params()),
      api.get<Analytics>(params(groupKey)),
    ]);
    return { all, grouped, at: new Date(), rangeKey, groupKey, gateway };
  }, [api, rangeKey, gateway, groupKey]);

  const reload = useRef(stats.reload);
  reload.current = stats.reload;
  useEffect(() => {
    // A hidden tab is not refreshed: nobody is looking, and the server is spared the queries.
    const timer = setInterval(() => {
      if (!document.hidden) reload.current();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  // After a failure, the last numbers (perhaps of another range or gateway) are not left beside it.
  const data = stats.error ? undefined : stats.data;
  const total = data?.all.series[0];
  const t = total?.totals;
  const times = total?.points.map((p) => Date.parse(p.time) / 1000) ?? [];
  const per = { minute: 'per minute', hour: 'per hour', day: 'per day' }[data?.all.bucket ?? range.bucket];
  // Until a new choice has loaded, the labels describe the numbers shown, not the buttons pressed.
  const shown = RANGES[data?.rangeKey ?? rangeKey];
  const groupLabel = GROUPS[data?.groupKey ?? groupKey];

  return (
    <div class="overview">
      <h1>Overview</h1>
      <div class="toolbar">
        <Segmented
          label="Time range"
          options={{ '1h': '1 h', '24h': '24 h', '7d': '7 d', '30d': '30 d' }}
          value={rangeKey}
          onChange={(k) => choose('range', k, DEFAULT_RANGE)}
        />
        <label class="field">
          Gateway
          <select value={gateway} onChange={(e) => choose('gateway', e.currentTarget.value, '')}>
            <option value="">All gateways</option>
            {(gateways.data ?? (gateway ? [gateway] : [])).map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
            {gateway && gateways.data && !gateways.data.includes(gateway) ? (
              <option value={gateway}>{gateway}</option>
            ) : null}
          </select>
        </label>
        <Segmented
          label="Breakdown"
          options={GROUPS}
          value={groupKey}
          onChange={(k) => choose('group', k, 'provider')}
        />
        <span class="spacer" />
        <span class="muted updated" aria-live="polite">
          {stats.loading ? 'Updating…' : data ? `Updated ${data.at.toLocaleTimeString()}` : ''}
        </span>
        <button type="button" onClick={stats.reload}>
          Refresh
        </button>
      </div>
      <ErrorBox error={gateways.error} />
      <ErrorBox error={stats.error} />

      {!data ? (
        stats.loading ? (
          <p class="empty">Loading…</p>
        ) : null
      ) : !t || t.requests === 0 ? (
        <Panel>
          <div class="empty">
            <p>
              No traffic in the {shown.label.toLowerCase()}
              {data.gateway ? ` on gateway ${data.gateway}` : ''}.
            </p>
            <p>Requests sent through the gateway show up here; this page refreshes every 30 seconds.</p>
          </div>
        </Panel>
      ) : (
        <>
          <dl class="grid cards">
            <Card label="Requests" value={format.count(t.requests)} detail={shown.label} />
            <Card
              label="Errors"
              value={format.count(t.errors)}
              detail={`${format.percent(t.errors / t.requests)} error rate`}
            />
            <Card
              label="Cache hit rate"
              value={format.percent(t.cached / t.requests)}
              detail={`${format.count(t.cached)} served from cache`}
            />
            <Card
              label="Tokens in / out"
              value={`${compact.format(t.tokens_in)} / ${compact.format(t.tokens_out)}`}
              detail={`${format.count(t.tokens_in + t.tokens_out)} in all`}
            />
            <Card label="Cost" value={money(t.cost)} />
            <Card
              label="Saved by cache"
              value={money(t.saved_cost)}
              detail="what the cache hits would have cost"
            />
            <Card
              label="Latency p50"
              value={format.ms(t.latency_p50)}
              detail={`p99 ${format.ms(t.latency_p99)}; provider's first byte p50 ${format.ms(t.first_byte_p50)}`}
            />
          </dl>

          <div class="grid charts">
            <Panel title={`Requests and errors ${per}`}>
              <Chart
                label={`Requests and errors ${per}, ${shown.label.toLowerCase()}`}
                times={times}
                series={[
                  { label: 'Requests', values: total.points.map((p) => p.requests), colour: 1 },
                  { label: 'Errors', values: total.points.map((p) => p.errors), colour: 5 },
                ]}
                format={(v) => compact.format(v)}
                integer
              />
            </Panel>
            <Panel title={`Cost ${per}, by ${groupLabel.toLowerCase()}`}>
              <Chart
                label={`Cost ${per} by ${groupLabel.toLowerCase()}, ${shown.label.toLowerCase()}`}
                times={times}
                series={costLines(data.grouped.series)}
                format={money}
              />
            </Panel>
            <Panel title={`Tokens ${per}`}>
              <Chart
                label={`Tokens in and out ${per}, ${shown.label.toLowerCase()}`}
                times={times}
                series={[
                  { label: 'In', values: total.points.map((p) => p.tokens_in), colour: 1 },
                  { label: 'Out', values: total.points.map((p) => p.tokens_out), colour: 3 },
                ]}
                format={(v) => compact.format(v)}
                integer
              />
            </Panel>
            <Panel title={`Latency ${per}`}>
              <Chart
                label={`Latency p50 and p99, and the provider's first byte p50, ${per}, ${shown.label.toLowerCase()}`}
                times={times}
                series={[
                  { label: 'p50', values: total.points.map((p) => p.latency_p50), colour: 1 },
                  { label: 'p99', values: total.points.map((p) => p.latency_p99), colour: 2 },
                  { label: 'First byte p50', values: total.points.map((p) => p.first_byte_p50), colour: 3 },
                ]}
                format={format.ms}
              />
            </Panel>
          </div>

          <Panel title={`By ${groupLabel.toLowerCase()}`}>
            <div class="table-wrap">
              <table aria-label={`Breakdown by ${groupLabel.toLowerCase()}`}>
                <thead>
                  <tr>
                    <th scope="col">{groupLabel}</th>
                    <th scope="col" class="num">
                      Requests
                    </th>
                    <th scope="col" class="num">
                      Errors
                    </th>
                    <th scope="col" class="num">
                      Cached
                    </th>
                    <th scope="col" class="num">
                      Tokens in
                    </th>
                    <th scope="col" class="num">
                      Tokens out
                    </th>
                    <th scope="col" class="num">
                      Cost
                    </th>
                    <th scope="col" class="num">
                      Saved
                    </th>
                    <th scope="col" class="num">
                      p50
                    </th>
                    <th scope="col" class="num">
                      First byte p50
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.grouped.series.map((s) => (
                    <tr key={String(s.group)}>
                      <th scope="row" class="mono">
                        {groupName(s.group)}
                      </th>
                      <td class="num">{format.count(s.totals.requests)}</td>
                      <td class={s.totals.errors > 0 ? 'num bad' : 'num'}>{format.count(s.totals.errors)}</td>
                      <td class="num">{format.count(s.totals.cached)}</td>
                      <td class="num">{format.count(s.totals.tokens_in)}</td>
                      <td class="num">{format.count(s.totals.tokens_out)}</td>
                      <td class="num">{money(s.totals.cost)}</td>
                      <td class="num">{money(s.totals.saved_cost)}</td>
                      <td class="num">{format.ms(s.totals.latency_p50)}</td>
                      <td class="num">{format.ms(s.totals.first_byte_p50)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Panel>
        </>
      )}
    </div>
  );
}
