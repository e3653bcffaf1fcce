import type { LoadResult, SequentialResult, TtfbResult } from './load.ts';
import type { LogStoreMeasurements } from './log-store.ts';
import type { Memory } from './proc.ts';
import {
  formatCount,
  formatMegabytes,
  formatMicros,
  formatMs,
  formatRatio,
  formatSignedMs,
  markdownTable,
  verdict,
} from './table.ts';

/** The bench's results, the goals they are held to, and the Markdown report. */

export type TargetKey = 'direct' | 'minimal' | 'gatehouse';
export const TARGET_KEYS: TargetKey[] = ['direct', 'minimal', 'gatehouse'];
export const TARGET_LABELS: Record<TargetKey, string> = {
  direct: 'direct',
  minimal: 'minimal proxy',
  gatehouse: 'gatehouse',
};
export type PerTarget<T> = Partial<Record<TargetKey, T>>;

export interface LoadMeasurement extends LoadResult {
  /** Target CPU (user + system) per completed request, including deferred work such as log writes. */
  cpuMicrosPerRequest: number | null;
  mockCpuMicrosPerRequest: number;
  loadGeneratorCpuMicrosPerRequest: number;
  /** How busy each core was during the measured run, in %. */
  coreBusyPercent: number[];
  /** The target's resident memory once the run is over (null for direct). */
  targetMemoryAfter: Memory | null;
}

/**
 * One round of Gatehouse at 32 connections, the three runs back to back: a miss with logging on,
 * the same with `cf-aig-collect-log: false`, and a cache hit. The ratio goals are read within a
 * round, so a slow spell of the VM affects both sides of a ratio alike.
 */
export interface InterleavedRound {
  logsOn: LoadMeasurement;
  logsOff: LoadMeasurement;
  hit: LoadMeasurement;
}

/** Gatehouse answering from its cache (no upstream call). */
export interface CacheHitMeasurements {
  oneConnection?: LoadMeasurement;
  thirtyTwoConnections?: LoadMeasurement;
}

/**
 * Fallback through the universal endpoint (issue 5), each series one request at a time over its
 * own keep-alive connection, interleaved. A series whose responses failed their check is absent.
 */
export interface FallbackMeasurements {
  /** Straight to the mock's failing route: the failed attempt's own time (a 500). */
  directFail?: SequentialResult;
  /** Straight to the mock's chat completion (a 200). */
  directOk?: SequentialResult;
  /** Gatehouse's universal endpoint, one step that succeeds (200, `cf-aig-step: 0`). */
  universalOk?: SequentialResult;
  /** Gatehouse's universal endpoint, [failing step, succeeding step] (200, `cf-aig-step: 1`). */
  fallback?: SequentialResult;
}

/** One mode of the compat translation series: the same Anthropic call, natively and through /compat. */
export interface CompatPair {
  /** `POST …/anthropic/v1/messages` with an Anthropic body. */
  native?: SequentialResult;
  /** `POST …/compat/chat/completions` with the OpenAI body that translates to it. */
  compat?: SequentialResult;
}

/** Compat translation (OpenAI chat ↔ Anthropic Messages), non-streamed and streamed. */
export interface CompatMeasurements {
  json?: CompatPair;
  stream?: CompatPair;
}

export interface BenchResults {
  date: string;
  environment: { node: string; cpus: number; cpuModel: string; pinned: boolean; clockTicksPerSecond: number };
  settings: {
    durationS: number;
    warmupS: number;
    ttfbSamples: number;
    fallbackSamples: number;
    compatSamples: number;
    compatStreamSamples: number;
    slowUpstreamMs: number;
  };
  scenarios: {
    oneConnection: PerTarget<LoadMeasurement>;
    thirtyTwoConnections: PerTarget<LoadMeasurement>;
    streamingTtfb: PerTarget<TtfbResult>;
    slowUpstream: PerTarget<LoadMeasurement>;
    cacheHit: CacheHitMeasurements;
    fallback: FallbackMeasurements;
    compat: CompatMeasurements;
    /** Gatehouse at 32 connections with `cf-aig-collect-log: false`: the cost of logging. */
    loggingOff?: LoadMeasurement | undefined;
    /** The logging and cache-hit ratios, measured in interleaved rounds, every thread on the target's core. */
    rounds?: InterleavedRound[] | undefined;
    /** The same with only the request thread pinned; helper threads (log writer, GC) may use the other core. */
    roundsHelpersFree?: InterleavedRound[] | undefined;
    logStore?: LogStoreMeasurements | undefined;
  };
  memory: PerTarget<Memory>;
  notices: string[];
}

export interface Goal {
  name: string;
  measured: number | null;
  goal: string;
  pass: boolean | null;
}

export function evaluateGoals(results: BenchResults): Record<string, Goal> {
  const {
    oneConnection: one,
    thirtyTwoConnections: many,
    streamingTtfb: ttfb,
    slowUpstream: slow,
    cacheHit,
    fallback,
  } = results.scenarios;
  const { memory } = results;
  const check = (
    name: string,
    measured: number | undefined,
    goal: string,
    pass: (value: number) => boolean,
  ): Goal => {
    const value = measured === undefined || !Number.isFinite(measured) ? null : measured;
    return { name, measured: value, goal, pass: value === null ? null : pass(value) };
  };
  const addedP50 = diff(one.gatehouse?.p50Ms, one.direct?.p50Ms);
  const rpsRatio = ratio(many.gatehouse?.requestsPerSecond, many.minimal?.requestsPerSecond);
  const cpuRatio = ratio(
    many.gatehouse?.cpuMicrosPerRequest ?? undefined,
    many.minimal?.cpuMicrosPerRequest ?? undefined,
  );
  const ttfbAdded = diff(ttfb.gatehouse?.firstByteP50Ms, ttfb.direct?.firstByteP50Ms);
  const slowRatio = ratio(slow.gatehouse?.requestsPerSecond, slow.direct?.requestsPerSecond);
  return {
    addedP50Ms: check('1 conn: p50 added over direct (ms)', addedP50, '≤ +0.5 ms', (v) => v <= 0.5),
    requestsPerSecondRatio: check('32 conn: req/s gatehouse / minimal', rpsRatio, '≥ 0.70×', (v) => v >= 0.7),
    cpuPerRequestRatio: check('32 conn: CPU/req gatehouse / minimal', cpuRatio, '≤ 1.5×', (v) => v <= 1.5),
    ttfbAddedMs: check('stream: first byte added over direct (ms)', ttfbAdded, '≤ +1 ms', (v) => v <= 1),
    slowUpstreamRatio: check(
      `${results.settings.slowUpstreamMs} ms upstream, 256 conn: req/s gatehouse / direct`,
      slowRatio,
      '≥ 0.95× (the same)',
      (v) => v >= 0.95,
    ),
    loggingRatio: check(
      '32 conn: req/s with logging / without (median of interleaved rounds, helper threads free)',
      roundRatio(goalRounds(results), 'logsOn', 'logsOff').median,
      '≥ 0.90×',
      (v) => v >= 0.9,
    ),
    logListMs: check(
      'logs API, two filters, at size (ms)',
      results.scenarios.logStore?.listTwoFiltersMs,
      '< 200 ms',
      (v) => v < 200,
    ),
    logAnalyticsMs: check(
      'analytics, 24 h hourly by model, at size (ms)',
      results.scenarios.logStore?.analytics24hMs,
      '< 500 ms',
      (v) => v < 500,
    ),
    cacheHitRatio: check(
      'cache hit, 32 conn: req/s hit / passthrough miss (median of interleaved rounds, helper threads free)',
      roundRatio(goalRounds(results), 'hit', 'logsOn').median,
      '≥ 2.0×',
      (v) => v >= 2,
    ),
    cacheHitAddedP50Ms: check(
      'cache hit, 1 conn: p50 added over direct (ms)',
      diff(cacheHit.oneConnection?.p50Ms, one.direct?.p50Ms),
      '< +0.3 ms',
      (v) => v < 0.3,
    ),
    fallbackAddedMs: check(
      'fallback: added beyond the failed attempt (ms)',
      fallbackAddedMs(fallback),
      '< +1 ms',
      (v) => v < 1,
    ),
    compatJsonAddedMs: check(
      'compat translation, JSON: p50 added over native Anthropic (ms)',
      compatAddedMs(results.scenarios.compat.json, 'p50Ms'),
      '< +0.2 ms',
      (v) => v < 0.2,
    ),
    compatStreamAddedMs: check(
      'compat translation, stream: p50 added over native Anthropic (ms)',
      compatAddedMs(results.scenarios.compat.stream, 'p50Ms'),
      '< +0.2 ms',
      (v) => v < 0.2,
    ),
    rssMegabytes: check(
      'gatehouse RSS after the run (MB)',
      memory.gatehouse ? memory.gatehouse.rssBytes / 1024 / 1024 : undefined,
      '< 150 MB',
      (v) => v < 150,
    ),
  };
}

export function renderReport(results: BenchResults, goals: Record<string, Goal>): string {
  const {
    oneConnection: one,
    thirtyTwoConnections: many,
    streamingTtfb: ttfb,
    slowUpstream: slow,
    cacheHit,
    fallback,
  } = results.scenarios;
  const { memory, environment: env, settings } = results;
  const gatehouseOnly = (m: LoadMeasurement | undefined, format: (m: LoadMeasurement) => string) => [
    '—',
    '—',
    m ? format(m) : 'n/a',
  ];
  const cells = <T>(per: PerTarget<T>, format: (value: T) => string) =>
    TARGET_KEYS.map((key) => (per[key] === undefined ? 'n/a' : format(per[key])));
  const row = (scenario: string, metric: string, values: string[], derived: string, goal?: Goal) => [
    scenario,
    metric,
    ...values,
    derived,
    goal?.goal ?? '',
    goal ? verdict(goal.pass) : '',
  ];
  const added = (key: TargetKey) => formatSignedMs(diff(one[key]?.p50Ms, one.direct?.p50Ms));
  const slowLabel = `${settings.slowUpstreamMs} ms upstream, 256 conn`;

  const rows = [
    row(
      '1 conn, JSON',
      'p50 latency',
      cells(one, (m) => formatMs(m.p50Ms)),
      `added: minimal ${added('minimal')}, gatehouse ${added('gatehouse')}`,
      goals['addedP50Ms'],
    ),
    row(
      '32 conn, JSON',
      'req/s',
      cells(many, (m) => formatCount(m.requestsPerSecond)),
      `gatehouse/minimal ${formatRatio(goals['requestsPerSecondRatio']!.measured ?? Number.NaN)}`,
      goals['requestsPerSecondRatio'],
    ),
    row(
      '32 conn, JSON',
      'p50 latency',
      cells(many, (m) => formatMs(m.p50Ms)),
      '',
    ),
    row(
      '32 conn, JSON',
      'p99 latency',
      cells(many, (m) => formatMs(m.p99Ms)),
      '',
    ),
    row(
      '32 conn, JSON',
      'CPU per request',
      cells(many, (m) => (m.cpuMicrosPerRequest === null ? '—' : formatMicros(m.cpuMicrosPerRequest))),
      `gatehouse/minimal ${formatRatio(goals['cpuPerRequestRatio']!.measured ?? Number.NaN)}`,
      goals['cpuPerRequestRatio'],
    ),
    row(
      'stream, 1 conn',
      'first byte p50',
      cells(ttfb, (t) => formatMs(t.firstByteP50Ms)),
      `added: gatehouse ${formatSignedMs(goals['ttfbAddedMs']!.measured ?? Number.NaN)}`,
      goals['ttfbAddedMs'],
    ),
    row(
      '32 conn, logs off',
      'req/s',
      [
        '—',
        '—',
        results.scenarios.loggingOff ? formatCount(results.scenarios.loggingOff.requestsPerSecond) : 'n/a',
      ],
      `with logs / without ${describeBoth(results, 'logsOn', 'logsOff')}`,
      goals['loggingRatio'],
    ),
    row(
      `log store, ${results.scenarios.logStore ? formatCount(results.scenarios.logStore.rows) : '?'} rows`,
      'list, 2 filters',
      ['—', '—', results.scenarios.logStore ? formatMs(results.scenarios.logStore.listTwoFiltersMs) : 'n/a'],
      results.scenarios.logStore
        ? `insert ${formatMicros(results.scenarios.logStore.insertMicrosPerRow)}/row`
        : '',
      goals['logListMs'],
    ),
    row(
      `log store, ${results.scenarios.logStore ? formatCount(results.scenarios.logStore.rows) : '?'} rows`,
      'analytics 24 h',
      ['—', '—', results.scenarios.logStore ? formatMs(results.scenarios.logStore.analytics24hMs) : 'n/a'],
      results.scenarios.logStore
        ? `hourly, by model; ${formatMs(results.scenarios.logStore.analytics24hFirstByteMs)} with first_byte`
        : 'hourly, by model',
      goals['logAnalyticsMs'],
    ),
    row(
      'cache hit, 1 conn',
      'p50 latency',
      gatehouseOnly(cacheHit.oneConnection, (m) => formatMs(m.p50Ms)),
      `added over direct ${formatSignedMs(goals['cacheHitAddedP50Ms']!.measured ?? Number.NaN)}`,
      goals['cacheHitAddedP50Ms'],
    ),
    row(
      'cache hit, 32 conn',
      'req/s',
      gatehouseOnly(cacheHit.thirtyTwoConnections, (m) => formatCount(m.requestsPerSecond)),
      `hit/miss ${describeBoth(results, 'hit', 'logsOn')}`,
      goals['cacheHitRatio'],
    ),
    row(
      'cache hit, 32 conn',
      'p50 latency',
      gatehouseOnly(cacheHit.thirtyTwoConnections, (m) => formatMs(m.p50Ms)),
      '',
    ),
    row(
      'cache hit, 32 conn',
      'p99 latency',
      gatehouseOnly(cacheHit.thirtyTwoConnections, (m) => formatMs(m.p99Ms)),
      '',
    ),
    row(
      'cache hit, 32 conn',
      'CPU per request',
      gatehouseOnly(cacheHit.thirtyTwoConnections, (m) =>
        m.cpuMicrosPerRequest === null ? '—' : formatMicros(m.cpuMicrosPerRequest),
      ),
      '',
    ),
    row(
      'fallback, 1 conn',
      'p50: the failing call (500)',
      [p50(fallback.directFail), '—', '—'],
      'the failed attempt alone',
    ),
    row(
      'fallback, 1 conn',
      'p50: one step, succeeds',
      [p50(fallback.directOk), '—', p50(fallback.universalOk)],
      `universal endpoint, added over direct ${formatSignedMs(diff(fallback.universalOk?.p50Ms, fallback.directOk?.p50Ms))}`,
    ),
    row('fallback, 1 conn', 'p50: step 0 fails → step 1', ['—', '—', p50(fallback.fallback)], ''),
    row(
      'fallback, 1 conn',
      'added by fallback',
      ['—', '—', formatSignedMs(goals['fallbackAddedMs']!.measured ?? Number.NaN)],
      'step 0 fails → step 1, − one step, − the failing call',
      goals['fallbackAddedMs'],
    ),
    row(
      slowLabel,
      'req/s',
      cells(slow, (m) => formatCount(m.requestsPerSecond)),
      `gatehouse/direct ${formatRatio(goals['slowUpstreamRatio']!.measured ?? Number.NaN)}`,
      goals['slowUpstreamRatio'],
    ),
    row(
      slowLabel,
      'p99 latency',
      cells(slow, (m) => formatMs(m.p99Ms)),
      '',
    ),
    row(
      'after the run',
      'RSS (peak)',
      TARGET_KEYS.map((key) =>
        key === 'direct'
          ? '—'
          : memory[key]
            ? `${formatMegabytes(memory[key].rssBytes)} (${formatMegabytes(memory[key].peakRssBytes)})`
            : 'n/a',
      ),
      '',
      goals['rssMegabytes'],
    ),
  ];
  const table = markdownTable(
    [
      'Scenario',
      'Metric',
      ...TARGET_KEYS.map((key) => TARGET_LABELS[key]),
      'Derived',
      'Goal (gatehouse)',
      '',
    ],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'left', 'left', 'left'],
  );

  const busyRuns: [string, LoadMeasurement][] = [
    ...TARGET_KEYS.flatMap((key): [string, LoadMeasurement][] =>
      many[key] ? [[TARGET_LABELS[key], many[key]]] : [],
    ),
    ...(cacheHit.thirtyTwoConnections
      ? [['gatehouse cache hit', cacheHit.thirtyTwoConnections] as [string, LoadMeasurement]]
      : []),
  ];
  const lines = [
    '',
    `Gatehouse bench, ${results.date.slice(0, 10)}: Node ${env.node}, ${env.cpus}× ${env.cpuModel}; ` +
      `${settings.durationS} s runs after ${settings.warmupS} s warm-ups; ` +
      (env.pinned ? 'load generator + mock upstream on core 0, target on core 1.' : 'no CPU pinning.'),
    '',
    table,
    '',
    'Core load during the 32-connection runs (core 0 = load generator + mock, core 1 = target): ' +
      busyRuns
        .map(([label, m]) => `${label} ${m.coreBusyPercent.map((p) => `${Math.round(p)}%`).join('/')}`)
        .join(', ') +
      '.',
  ];
  const saturated = busyRuns.filter(([, m]) => (m.coreBusyPercent[0] ?? 0) >= 95).map(([label]) => label);
  if (saturated.length > 0) {
    lines.push(
      `Core 0 was saturated for ${saturated.join(', ')}: those req/s are bounded by the load generator, not the target.`,
    );
  }
  lines.push(
    ...renderRounds(results.scenarios.rounds, 'every Gatehouse thread on core 1, as in the table above'),
    ...renderRounds(
      results.scenarios.roundsHelpersFree,
      'the request thread alone on core 1, helper threads (log writer, GC) free to run on core 0 too, next to the load generator',
    ),
  );
  lines.push('', ...renderCompat(results, goals));
  for (const notice of results.notices) lines.push(`Note: ${notice}`);
  return `${lines.join('\n')}\n`;
}

/** The compat translation table: native Anthropic against the same call through /compat, per mode. */
function renderCompat(results: BenchResults, goals: Record<string, Goal>): string[] {
  const { compat } = results.scenarios;
  const { compatSamples, compatStreamSamples } = results.settings;
  const modes = [
    ['JSON', compat.json, compatSamples, goals['compatJsonAddedMs']],
    ['stream (whole body)', compat.stream, compatStreamSamples, goals['compatStreamAddedMs']],
  ] as const;
  const ms = (m: SequentialResult | undefined, key: 'p50Ms' | 'p99Ms') => (m ? formatMs(m[key]) : 'n/a');
  const rows = modes.map(([label, pair, samples, goal]) => [
    label,
    `${samples} + ${samples}`,
    ms(pair?.native, 'p50Ms'),
    ms(pair?.native, 'p99Ms'),
    ms(pair?.compat, 'p50Ms'),
    ms(pair?.compat, 'p99Ms'),
    formatSignedMs(compatAddedMs(pair, 'p50Ms')),
    formatSignedMs(compatAddedMs(pair, 'p99Ms')),
    goal?.goal ?? '',
    goal ? verdict(goal.pass) : '',
  ]);
  return [
    'Compat translation, 1 conn, interleaved: (a) native `POST …/anthropic/v1/messages` vs (b) the same call as',
    'OpenAI chat through `POST …/compat/chat/completions` (model `anthropic/…`), same mock upstream, no caching.',
    '',
    markdownTable(
      [
        'Mode',
        'Requests',
        '(a) native p50',
        '(a) p99',
        '(b) compat p50',
        '(b) p99',
        'b − a p50',
        'b − a p99',
        'Goal',
        '',
      ],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
    ),
    '',
    `Goal: translation adds < 0.2 ms p50 per request (b − a p50): JSON ${formatSignedMs(goals['compatJsonAddedMs']?.measured ?? Number.NaN)} ${verdict(goals['compatJsonAddedMs']?.pass ?? null)}, ` +
      `stream ${formatSignedMs(goals['compatStreamAddedMs']?.measured ?? Number.NaN)} ${verdict(goals['compatStreamAddedMs']?.pass ?? null)} (printed, not asserted).`,
  ];
}

/** Compat − native for one mode, at one percentile (a difference of percentiles). */
export function compatAddedMs(pair: CompatPair | undefined, key: 'p50Ms' | 'p99Ms'): number {
  return diff(pair?.compat?.[key], pair?.native?.[key]);
}

/**
 * What fallback adds beyond the failed attempt's own time: p50 of [failing step, succeeding step]
 * through the universal endpoint, minus p50 of the succeeding step alone through the same endpoint
 * (Gatehouse's own cost and the successful upstream call), minus p50 of the failing call made
 * directly (the failed attempt's own time). See bench/README.md.
 */
export function fallbackAddedMs(f: FallbackMeasurements): number {
  return diff(diff(f.fallback?.p50Ms, f.universalOk?.p50Ms), f.directFail?.p50Ms);
}

function p50(m: SequentialResult | undefined): string {
  return m ? formatMs(m.p50Ms) : 'n/a';
}

function diff(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined ? Number.NaN : a - b;
}

function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? Number.NaN : a / b;
}

type RoundRun = keyof InterleavedRound;

/** The per-round req/s ratio a / b: its median over the rounds, and its range. */
export function roundRatio(
  rounds: InterleavedRound[] | undefined,
  a: RoundRun,
  b: RoundRun,
): { median: number; min: number; max: number; n: number } {
  const values = (rounds ?? [])
    .map((r) => ratio(r[a].requestsPerSecond, r[b].requestsPerSecond))
    .filter(Number.isFinite)
    .sort((x, y) => x - y);
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = values.length >> 1;
  const median = values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { median, min: values[0]!, max: values[values.length - 1]!, n: values.length };
}

/** The rounds the goals are read from: helper threads free when that was measured. */
function goalRounds(results: BenchResults): InterleavedRound[] | undefined {
  const free = results.scenarios.roundsHelpersFree;
  return free && free.length > 0 ? free : results.scenarios.rounds;
}

function describeBoth(results: BenchResults, a: RoundRun, b: RoundRun): string {
  const free = roundRatio(results.scenarios.roundsHelpersFree, a, b);
  const one = roundRatio(results.scenarios.rounds, a, b);
  const parts = [
    ...(free.n > 0 ? [`${formatRatio(free.median)} helpers free`] : []),
    ...(one.n > 0 ? [`${formatRatio(one.median)} one core`] : []),
  ];
  return parts.length > 0 ? `${parts.join(', ')} (medians)` : 'n/a';
}

function renderRounds(rounds: InterleavedRound[] | undefined, pinning: string): string[] {
  if (!rounds || rounds.length === 0) return [];
  const cpu = (m: LoadMeasurement) =>
    m.cpuMicrosPerRequest === null ? 'n/a' : formatMicros(m.cpuMicrosPerRequest);
  const table = markdownTable(
    [
      'Round',
      'miss, logs on',
      'CPU/req',
      'miss, logs off',
      'CPU/req',
      'cache hit',
      'CPU/req',
      'on/off',
      'hit/miss',
    ],
    rounds.map((r, i) => [
      String(i + 1),
      formatCount(r.logsOn.requestsPerSecond),
      cpu(r.logsOn),
      formatCount(r.logsOff.requestsPerSecond),
      cpu(r.logsOff),
      formatCount(r.hit.requestsPerSecond),
      cpu(r.hit),
      formatRatio(ratio(r.logsOn.requestsPerSecond, r.logsOff.requestsPerSecond)),
      formatRatio(ratio(r.hit.requestsPerSecond, r.logsOn.requestsPerSecond)),
    ]),
    ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  return [
    '',
    `Gatehouse at 32 connections in interleaved rounds, ${pinning} (req/s; CPU per request counts every thread):`,
    '',
    table,
  ];
}
