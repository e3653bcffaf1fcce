import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type HttpTarget,
  measureSequential,
  measureTtfb,
  runLoad,
  type SequentialSeries,
} from './lib/load.ts';
import { measureLogStore } from './lib/log-store.ts';
import {
  CLOCK_TICKS_PER_SECOND,
  coreBusyPercent,
  readCoreTicks,
  readCpuMicros,
  readMemory,
} from './lib/proc.ts';
import {
  type BenchResults,
  type CacheHitMeasurements,
  type CompatMeasurements,
  type CompatPair,
  evaluateGoals,
  type FallbackMeasurements,
  type InterleavedRound,
  type LoadMeasurement,
  type PerTarget,
  renderReport,
  TARGET_KEYS,
  TARGET_LABELS,
  type TargetKey,
} from './lib/report.ts';
import {
  type Child,
  checkPinning,
  freePort,
  HAS_TASKSET,
  pinSelf,
  pinThreads,
  spawnNode,
  waitForHttp,
} from './lib/spawn.ts';
import { formatMicros } from './lib/table.ts';

/**
 * `npm run bench`: Gatehouse against a direct call and a minimal undici proxy, same mock upstream,
 * one run. Prints a Markdown table of absolute numbers, ratios and goals; writes
 * bench/results/latest.json.
 *
 *   core 0: this driver (autocannon, the TTFB client) and the mock upstream
 *   core 1: the target under test (minimal proxy or gatehouse), so its CPU time is its own
 *
 * Steps: start the mock and both proxies → 1 connection (latency) → 32 connections (throughput,
 * CPU per request) → cache hits → fallback through the universal endpoint → streaming time to
 * first byte → compat translation (native Anthropic vs /compat/chat/completions) → restart the mock with a 200 ms delay and run 256 connections → read gatehouse's
 * RSS → report.
 */

const USAGE = `usage: npm run bench -- [--duration S] [--quick]

  --duration S   seconds per measured run (default 8; warm-up runs are a quarter of that, at least 1 s)
  --quick        2 s runs and fewer streaming samples: a smoke test, not a measurement`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const DURATION_S = Number(flags.duration ?? (flags.quick ? 2 : 8));
if (!(DURATION_S >= 1)) {
  console.error(`--duration must be a number of seconds ≥ 1\n\n${USAGE}`);
  process.exit(2);
}
const WARMUP_S = Math.max(1, Math.round(DURATION_S / 4));
/** Interleaved rounds for the ratio goals, and the length of each of their runs. */
const ROUNDS = flags.quick ? 1 : 4;
const ROUND_S = Math.max(2, Math.round(DURATION_S / 2));
const TTFB_SAMPLES = flags.quick ? 40 : 150;
/** Rounds of the fallback scenario (each: four requests, one per series), after a quarter as many unmeasured. */
const FALLBACK_SAMPLES = flags.quick ? 200 : 1500;
/** Rounds of the compat translation series (two requests each), after a quarter as many unmeasured. */
const COMPAT_SAMPLES = flags.quick ? 200 : 1500;
/** The same for streams, which take ~25 ms each (the mock paces its chunks 1 ms apart). */
const COMPAT_STREAM_SAMPLES = flags.quick ? 60 : 300;
const SLOW_UPSTREAM_MS = 200;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const GATEWAY_PATH = '/v1/local/default/openai/chat/completions';
/** The universal endpoint of the same gateway: a JSON array of steps, tried in order. */
const UNIVERSAL_PATH = '/v1/local/default';
const CLIENT_HEADERS = { authorization: 'Bearer sk-bench' };
const CHAT_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the bench.' }],
});
/**
 * Compat translation: one Anthropic call, asked natively and as OpenAI chat through /compat. The
 * native bodies are what the translation sends upstream, so the mock sees the same request.
 */
const ANTHROPIC_MODEL = 'claude-sonnet-4-5';
const ANTHROPIC_PATH = '/v1/local/default/anthropic/v1/messages';
const COMPAT_PATH = '/v1/local/default/compat/chat/completions';
/** Caching is off on the bench's gateway (no cache_ttl); skipped explicitly so a config change cannot turn a series into hits. */
const NO_CACHE = { 'cf-aig-skip-cache': 'true' };
const ANTHROPIC_HEADERS = { 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01', ...NO_CACHE };
const COMPAT_HEADERS = { ...CLIENT_HEADERS, ...NO_CACHE };
const COMPAT_PROMPT = 'Say hello to the bench.';
const ANTHROPIC_BODY = JSON.stringify({
  model: ANTHROPIC_MODEL,
  messages: [{ role: 'user', content: [{ type: 'text', text: COMPAT_PROMPT }] }],
  max_tokens: 256,
});
const ANTHROPIC_STREAM_BODY = JSON.stringify({
  model: ANTHROPIC_MODEL,
  messages: [{ role: 'user', content: [{ type: 'text', text: COMPAT_PROMPT }] }],
  max_tokens: 256,
  stream: true,
});
const COMPAT_BODY = JSON.stringify({
  model: `anthropic/${ANTHROPIC_MODEL}`,
  messages: [{ role: 'user', content: COMPAT_PROMPT }],
  max_tokens: 256,
});
const COMPAT_STREAM_BODY = JSON.stringify({
  model: `anthropic/${ANTHROPIC_MODEL}`,
  messages: [{ role: 'user', content: COMPAT_PROMPT }],
  max_tokens: 256,
  stream: true,
  stream_options: { include_usage: true },
});
const STREAM_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the bench, slowly.' }],
  stream: true,
  stream_options: { include_usage: true },
});

interface Target {
  key: TargetKey;
  http: HttpTarget;
  /** The process whose CPU we charge to the target; null for direct (there is no middle process). */
  child: Child | null;
}

const notices: string[] = [];
const children: Child[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));

process.on('SIGINT', () => {
  void cleanUp().then(() => process.exit(130));
});

try {
  await main();
} finally {
  await cleanUp();
}

async function main(): Promise<void> {
  // 1. Isolation: this process (the load generator) on core 0, targets on core 1.
  if (cpus().length < 2)
    notices.push(`only ${cpus().length} CPU: targets share a core with the load generator`);
  if (!pinSelf(0)) notices.push('taskset not found (util-linux): nothing is pinned, CPU numbers share cores');

  // 2. The mock upstream, then the three targets.
  const mockPort = await freePort();
  let mock = await startMock(mockPort, 0);
  const targets: Partial<Record<TargetKey, Target>> = {
    direct: {
      key: 'direct',
      http: { url: `http://127.0.0.1:${mockPort}/v1/chat/completions`, headers: CLIENT_HEADERS },
      child: null,
    },
    minimal: await startMinimalProxy(mockPort),
  };
  const gatehouse = await startGatehouse(mockPort).catch((error: Error) => {
    // The first line says how it failed; an `Error:` line from its output says why.
    const lines = error.message.split('\n');
    const cause = lines.find((line) => /^\w*Error\b/.test(line));
    notices.push(
      `gatehouse did not start, its column is empty: ${lines[0]}${cause ? ` (${cause.slice(0, 200)})` : ''}`,
    );
    console.error(error.message);
    return undefined;
  });
  if (gatehouse) targets.gatehouse = gatehouse;
  const active = TARGET_KEYS.flatMap((key) => (targets[key] ? [targets[key]] : []));

  console.error(
    `bench: ${DURATION_S} s runs after ${WARMUP_S} s warm-ups; targets: ${active.map((t) => TARGET_LABELS[t.key]).join(', ')}`,
  );

  // 3. One connection: latency added per hop.
  const oneConnection = await eachTarget(active, (t) => measureLoad(t, mock, CHAT_BODY, 1, '1 conn'));

  // 4. 32 connections: throughput and CPU per request.
  const thirtyTwo = await eachTarget(active, (t) => measureLoad(t, mock, CHAT_BODY, 32, '32 conn'));

  // 4b. Cache hits: the same request answered from Gatehouse's cache (issue 3's goals).
  const cacheHit = gatehouse ? await measureCacheHits(gatehouse, mock) : {};

  // 4c. Fallback through the universal endpoint: what it adds beyond the failed attempt (issue 5).
  const fallback = gatehouse ? await measureFallback(gatehouse, mockPort) : {};

  // 4d. The cost of logging: the 32-connection run again, asking for no log rows (issue 4's goal).
  const loggingOff = gatehouse
    ? await measureLoad(
        {
          ...gatehouse,
          http: { ...gatehouse.http, headers: { ...gatehouse.http.headers, 'cf-aig-collect-log': 'false' } },
        },
        mock,
        CHAT_BODY,
        32,
        '32 conn, no logs',
      )
    : undefined;

  // 4e. The two ratio goals (logging on/off, hit/miss) read within interleaved rounds, not across
  // runs minutes apart: on this kind of VM two runs of the same build can differ by 20%.
  // Twice: every thread on the target's core as in the rest of the bench, then with only the
  // request thread pinned and the helper threads (log writer, GC) free to use the other core too.
  const rounds = gatehouse ? await measureRounds(gatehouse, mock, 'one core') : undefined;
  const roundsHelpersFree =
    gatehouse?.child && pinThreads(gatehouse.child.pid, 1, '0,1')
      ? await measureRounds(gatehouse, mock, 'helpers free').finally(() =>
          pinThreads(gatehouse.child!.pid, 1, '1'),
        )
      : undefined;

  // 5. Streaming: time to the first body byte, one connection, requests in sequence.
  const ttfb = await eachTarget(active, (t) => {
    console.error(`  stream ttfb   ${TARGET_LABELS[t.key]} (${TTFB_SAMPLES} requests)`);
    return measureTtfb(t.http, STREAM_BODY, TTFB_SAMPLES, 20);
  });

  // 5b. Compat translation: native Anthropic against the same call through /compat/chat/completions.
  const compat = gatehouse ? await measureCompat(gatehouse) : {};

  // 6. A slow upstream with many connections: the proxies must not become the limit.
  await mock.stop();
  mock = await startMock(mockPort, SLOW_UPSTREAM_MS);
  const slowLabel = `${SLOW_UPSTREAM_MS} ms upstream, 256 conn`;
  const slowUpstream = await eachTarget(active, (t) => measureLoad(t, mock, CHAT_BODY, 256, slowLabel));

  // 7. Memory of the proxies after all of the above.
  const memory = await eachTarget(active, async (t) => (t.child ? readMemory(t.child.pid) : undefined));

  // 7b. The log store at size, in this process (no HTTP): the logs API and analytics queries.
  console.error(`  log store     ${flags.quick ? '100 000' : '1 000 000'} rows`);
  const logStore = await measureLogStore(flags.quick ? 100_000 : 1_000_000);

  // 8. Report: the Markdown table on stdout, every number in bench/results/latest.json.
  const results: BenchResults = {
    date: new Date().toISOString(),
    environment: {
      node: process.versions.node,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      pinned: HAS_TASKSET,
      clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
    },
    settings: {
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      ttfbSamples: TTFB_SAMPLES,
      fallbackSamples: FALLBACK_SAMPLES,
      compatSamples: COMPAT_SAMPLES,
      compatStreamSamples: COMPAT_STREAM_SAMPLES,
      slowUpstreamMs: SLOW_UPSTREAM_MS,
    },
    scenarios: {
      oneConnection,
      thirtyTwoConnections: thirtyTwo,
      streamingTtfb: ttfb,
      slowUpstream,
      cacheHit,
      fallback,
      compat,
      loggingOff,
      rounds,
      roundsHelpersFree,
      logStore,
    },
    memory,
    notices,
  };
  const goals = evaluateGoals(results);
  console.log(renderReport(results, goals));
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify({ ...results, goals }, null, 2)}\n`);
  console.error('bench: results written to bench/results/latest.json');
}

/** Run `measure` for each target in turn; a target that fails gets no value and a printed notice. */
async function eachTarget<T>(
  targets: Target[],
  measure: (target: Target) => Promise<T | undefined>,
): Promise<PerTarget<T>> {
  const results: PerTarget<T> = {};
  for (const target of targets) {
    try {
      const value = await measure(target);
      if (value !== undefined) results[target.key] = value;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      notices.push(`${TARGET_LABELS[target.key]} failed a run: ${message}`);
      console.error(`  ${TARGET_LABELS[target.key]} failed: ${message}`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Processes

async function startMock(port: number, delayMs: number): Promise<Child> {
  // Streams are paced (1 ms between chunks) so that the first byte is distinguishable from the last.
  const mock = await spawnNode({
    name: 'mock upstream',
    core: 0,
    cwd: ROOT,
    args: [
      'bench/mock-upstream.ts',
      '--port',
      String(port),
      '--delay-ms',
      String(delayMs),
      '--chunk-interval-ms',
      '1',
    ],
  });
  children.push(mock);
  await mock.waitForLine(/^listening /);
  return mock;
}

async function startMinimalProxy(mockPort: number): Promise<Target> {
  const child = await spawnNode({
    name: 'minimal proxy',
    core: 1,
    cwd: ROOT,
    args: ['bench/minimal-proxy.ts', '--upstream', `http://127.0.0.1:${mockPort}/v1`],
  });
  children.push(child);
  const port = Number((await child.waitForLine(/^listening http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  return checkTarget({
    key: 'minimal',
    http: { url: `http://127.0.0.1:${port}${GATEWAY_PATH}`, headers: CLIENT_HEADERS },
    child,
  });
}

/** Gatehouse is measured as `npm start` runs it: the node flags and arguments of that script. */
function startScriptArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [bin, ...args] = pkg.scripts.start.split(/\s+/);
  if (bin !== 'node') throw new Error(`the start script must run node, got "${pkg.scripts.start}"`);
  return args;
}

async function startGatehouse(mockPort: number): Promise<Target> {
  const port = await freePort();
  const child = await spawnNode({
    name: 'gatehouse',
    core: 1,
    cwd: ROOT,
    args: startScriptArgs(),
    env: {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_UPSTREAM_OPENAI: `http://127.0.0.1:${mockPort}/v1`,
      // Anthropic's base URL has no version: Gatehouse calls `{base}/v1/messages`.
      GATEHOUSE_UPSTREAM_ANTHROPIC: `http://127.0.0.1:${mockPort}`,
    },
  });
  children.push(child);
  try {
    await Promise.any([
      child.waitForLine(/listening/i),
      waitForHttp(`http://127.0.0.1:${port}/healthz`, child),
    ]);
  } catch (error) {
    throw error instanceof AggregateError ? (error.errors[0] as Error) : error;
  }
  return checkTarget({
    key: 'gatehouse',
    http: { url: `http://127.0.0.1:${port}${GATEWAY_PATH}`, headers: CLIENT_HEADERS },
    child,
  });
}

/** One request through the target before measuring: a 200 with a chat completion, or no target. */
async function checkTarget(target: Target): Promise<Target> {
  if (target.child) {
    const notice = checkPinning(target.child, 1);
    if (notice) notices.push(notice);
  }
  const response = await fetch(target.http.url, {
    method: 'POST',
    headers: { ...target.http.headers, 'content-type': 'application/json' },
    body: CHAT_BODY,
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"choices"')) {
    throw new Error(
      `${TARGET_LABELS[target.key]}: sanity request answered ${response.status}: ${text.slice(0, 300)}`,
    );
  }
  // Requests without cf-aig-cache-ttl must be passthrough misses: the baseline of the cache-hit rows.
  const cacheStatus = response.headers.get('cf-aig-cache-status');
  if (cacheStatus !== null) {
    notices.push(
      `${TARGET_LABELS[target.key]} answered an uncached request with cf-aig-cache-status ${cacheStatus}: its rows are not passthrough`,
    );
  }
  return target;
}

async function cleanUp(): Promise<void> {
  await Promise.all(children.map((child) => child.stop()));
  rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Measuring

/**
 * Warm up, wait for the target to go idle, then measure one autocannon run. CPU is read after the
 * target goes idle again, so work it deferred (a batched log writer) is charged to the run.
 */
async function measureLoad(
  target: Target,
  mock: Child,
  body: string,
  connections: number,
  scenario: string,
  durations: { runS: number; warmupS: number } = { runS: DURATION_S, warmupS: WARMUP_S },
): Promise<LoadMeasurement> {
  console.error(`  ${scenario.padEnd(13)} ${TARGET_LABELS[target.key]}`);
  await runLoad(target.http, body, connections, durations.warmupS);
  const pid = target.child?.pid ?? null;
  if (pid !== null) await settle(pid);

  const targetBefore = pid === null ? 0 : readCpuMicros(pid);
  const mockBefore = readCpuMicros(mock.pid);
  const driverBefore = process.cpuUsage();
  const coresBefore = readCoreTicks();
  const result = await runLoad(target.http, body, connections, durations.runS);
  const busy = coreBusyPercent(coresBefore, readCoreTicks());
  const driver = process.cpuUsage(driverBefore);
  const mockMicros = readCpuMicros(mock.pid) - mockBefore;
  if (pid !== null) await settle(pid);
  const targetMicros = pid === null ? null : readCpuMicros(pid) - targetBefore;

  if (result.errors > 0 || result.non2xx > 0) {
    notices.push(
      `${TARGET_LABELS[target.key]}, ${scenario}: ${result.non2xx} non-2xx responses, ${result.errors} errors`,
    );
  }
  const perRequest = (micros: number) => micros / Math.max(1, result.requests);
  return {
    ...result,
    cpuMicrosPerRequest: targetMicros === null ? null : perRequest(targetMicros),
    mockCpuMicrosPerRequest: perRequest(mockMicros),
    loadGeneratorCpuMicrosPerRequest: perRequest(driver.user + driver.system),
    coreBusyPercent: busy,
    targetMemoryAfter: pid === null ? null : readMemory(pid),
  };
}

/**
 * ROUNDS rounds of three back-to-back 32-connection runs of Gatehouse: a miss with logging on, the
 * same without logging, and a cache hit (the entry is warm from measureCacheHits). A round that
 * fails is dropped with a notice.
 */
async function measureRounds(gatehouse: Target, mock: Child, pinning: string): Promise<InterleavedRound[]> {
  const withHeaders = (extra: Record<string, string>): Target => ({
    ...gatehouse,
    http: { ...gatehouse.http, headers: { ...gatehouse.http.headers, ...extra } },
  });
  const off = withHeaders({ 'cf-aig-collect-log': 'false' });
  const hit = withHeaders({ 'cf-aig-cache-ttl': '3600' });
  const durations = { runS: ROUND_S, warmupS: 1 };
  const rounds: InterleavedRound[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    try {
      const label = `round ${i}/${ROUNDS} (${pinning})`;
      const logsOn = await measureLoad(gatehouse, mock, CHAT_BODY, 32, `${label} on`, durations);
      const logsOff = await measureLoad(off, mock, CHAT_BODY, 32, `${label} off`, durations);
      const hitRun = await measureLoad(hit, mock, CHAT_BODY, 32, `${label} hit`, durations);
      if (hitRun.mockCpuMicrosPerRequest > 5) {
        notices.push(`${label}: the cache-hit run reached the mock upstream, round dropped`);
        continue;
      }
      rounds.push({ logsOn, logsOff, hit: hitRun });
    } catch (error) {
      notices.push(
        `round ${i} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
  }
  return rounds;
}

/**
 * Gatehouse answering from its cache: every request asks for caching (`cf-aig-cache-ttl`) with the
 * same body, so after one warming request each is a HIT. Checked, not assumed: the request after
 * the warming one must say `cf-aig-cache-status: HIT`, the mock upstream must do no work during the
 * measured runs, and the last request must still be a HIT; each failure is a notice in the report.
 */
async function measureCacheHits(gatehouse: Target, mock: Child): Promise<CacheHitMeasurements> {
  const cached: Target = {
    ...gatehouse,
    http: { ...gatehouse.http, headers: { ...gatehouse.http.headers, 'cf-aig-cache-ttl': '3600' } },
  };
  const cacheStatus = async () => {
    const response = await fetch(cached.http.url, {
      method: 'POST',
      headers: { ...cached.http.headers, 'content-type': 'application/json' },
      body: CHAT_BODY,
    });
    const text = await response.text();
    const status = response.headers.get('cf-aig-cache-status') ?? 'no cf-aig-cache-status';
    return response.status === 200 ? status : `${response.status} (${status}): ${text.slice(0, 200)}`;
  };
  const fail = (message: string) => {
    notices.push(`CACHE HIT SCENARIO FAILED: ${message}`);
    console.error(`  cache hit scenario failed: ${message}`);
  };
  try {
    const first = await cacheStatus();
    const second = await cacheStatus();
    if (second !== 'HIT') {
      fail(
        `after a warming request (${first}), expected cf-aig-cache-status HIT, got ${second}; rows left empty`,
      );
      return {};
    }
  } catch (error) {
    fail(`warming request failed: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }
  const results: CacheHitMeasurements = {};
  const runs = [
    ['oneConnection', 1, 'cache 1 conn'],
    ['thirtyTwoConnections', 32, 'cache 32 conn'],
  ] as const;
  for (const [key, connections, label] of runs) {
    const m = await eachTarget([cached], (t) => measureLoad(t, mock, CHAT_BODY, connections, label));
    const run = m.gatehouse;
    if (!run) continue;
    // A miss costs the mock ~100 µs; hits cost it nothing.
    if (run.mockCpuMicrosPerRequest > 5) {
      fail(
        `${label}: the mock upstream used ${formatMicros(run.mockCpuMicrosPerRequest)} of CPU per request, so some requests were not hits`,
      );
    }
    results[key] = run;
  }
  const after = await cacheStatus().catch((error: Error) => error.message);
  if (after !== 'HIT') fail(`after the runs, cf-aig-cache-status was ${after}, not HIT`);
  return results;
}

/**
 * Fallback (issue 5): Gatehouse's universal endpoint given [a step whose upstream answers 500, a
 * step that succeeds], against the parts it is made of. Four series, interleaved, one request at a
 * time, each over its own keep-alive connection:
 *
 *   directFail   the mock's failing route, straight: the failed attempt's own time
 *   directOk     the mock's chat completion, straight
 *   universalOk  the universal endpoint with the succeeding step only (200, cf-aig-step: 0)
 *   fallback     the universal endpoint with [failing step, succeeding step] (200, cf-aig-step: 1)
 *
 * "Added by fallback" is fallback − universalOk − directFail (report.ts, bench/README.md).
 * Checked, not assumed: a sanity request first, then every response's status and cf-aig-step; a
 * series that fails its check is left out (its rows read n/a) with a `FALLBACK SCENARIO FAILED` note.
 */
async function measureFallback(gatehouse: Target, mockPort: number): Promise<FallbackMeasurements> {
  const fail = (message: string) => {
    notices.push(`FALLBACK SCENARIO FAILED: ${message}`);
    console.error(`  fallback scenario failed: ${message}`);
  };
  const chat = JSON.parse(CHAT_BODY) as unknown;
  // Provider credentials of a universal step come from the step, never from the request.
  const step = (endpoint: string) => ({
    provider: 'openai',
    endpoint,
    headers: CLIENT_HEADERS,
    query: chat,
    // One attempt, whatever the gateway's retry settings: this measures fallback, not retries.
    config: { maxAttempts: 1 },
  });
  const failingStep = step('fail/chat/completions');
  const okStep = step('chat/completions');
  const universal = { url: `${new URL(gatehouse.http.url).origin}${UNIVERSAL_PATH}`, headers: {} };
  const mock = `http://127.0.0.1:${mockPort}/v1`;
  const expect =
    (status: number, step?: string) =>
    (got: number, headers: Record<string, string | string[] | undefined>): string | undefined => {
      if (got !== status) return `answered ${got}, expected ${status}`;
      if (step !== undefined && headers['cf-aig-step'] !== step) {
        return `answered cf-aig-step ${String(headers['cf-aig-step'] ?? '(none)')}, expected ${step}`;
      }
      return undefined;
    };
  const series = {
    directFail: {
      target: { url: `${mock}/fail/chat/completions`, headers: CLIENT_HEADERS },
      body: CHAT_BODY,
      check: expect(500),
    },
    directOk: {
      target: { url: `${mock}/chat/completions`, headers: CLIENT_HEADERS },
      body: CHAT_BODY,
      check: expect(200),
    },
    universalOk: { target: universal, body: JSON.stringify([okStep]), check: expect(200, '0') },
    fallback: { target: universal, body: JSON.stringify([failingStep, okStep]), check: expect(200, '1') },
  } satisfies Record<keyof FallbackMeasurements, SequentialSeries>;

  // Sanity: the fallback request answers a chat completion from step 1 before anything is timed.
  try {
    const response = await fetch(universal.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: series.fallback.body,
    });
    const text = await response.text();
    const stepHeader = response.headers.get('cf-aig-step') ?? '(none)';
    if (response.status !== 200 || stepHeader !== '1' || !text.includes('"choices"')) {
      fail(
        `the sanity request answered ${response.status}, cf-aig-step ${stepHeader}: ${text.slice(0, 200)}; rows left empty`,
      );
      return {};
    }
  } catch (error) {
    fail(`the sanity request failed: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }

  const keys = Object.keys(series) as (keyof typeof series)[];
  console.error(`  fallback      ${keys.join(', ')} (${FALLBACK_SAMPLES} rounds, interleaved)`);
  if (gatehouse.child) await settle(gatehouse.child.pid);
  let measured: Awaited<ReturnType<typeof measureSequential>>;
  try {
    measured = await measureSequential(
      keys.map((key) => series[key]),
      FALLBACK_SAMPLES,
      Math.ceil(FALLBACK_SAMPLES / 4),
    );
  } catch (error) {
    fail(`a request failed: ${error instanceof Error ? error.message : String(error)}; rows left empty`);
    return {};
  }
  const results: FallbackMeasurements = {};
  keys.forEach((key, i) => {
    const m = measured[i]!;
    if (m.failedChecks > 0) {
      fail(`${key}: ${m.failedChecks} responses were wrong (first: ${m.firstFailure}); its rows left empty`);
      return;
    }
    results[key] = m;
  });
  return results;
}

/**
 * Compat translation: (a) native Anthropic through Gatehouse, `POST …/anthropic/v1/messages`, and
 * (b) the same call as OpenAI chat through `POST …/compat/chat/completions` (model
 * `anthropic/claude-sonnet-4-5`), translated to the same Messages request, and its answer back to a
 * chat.completion (or chunks). Non-streamed, then streamed; in each mode the two series are
 * interleaved one request at a time, each over its own keep-alive connection, every body read to
 * its end. What translation adds is p50(b) − p50(a); the goal is < 0.2 ms (printed, not asserted).
 *
 * Checked, not assumed: one sanity request per series must answer 200 with the right shape (an
 * Anthropic message or its SSE events; a chat.completion, or chunks ending in `[DONE]`), then every
 * response must be 200 and no cache HIT. A mode that fails its check reads n/a, with a
 * `COMPAT SCENARIO FAILED` note.
 */
async function measureCompat(gatehouse: Target): Promise<CompatMeasurements> {
  const fail = (message: string) => {
    notices.push(`COMPAT SCENARIO FAILED: ${message}`);
    console.error(`  compat scenario failed: ${message}`);
  };
  const origin = new URL(gatehouse.http.url).origin;
  const native = { url: `${origin}${ANTHROPIC_PATH}`, headers: ANTHROPIC_HEADERS };
  const compat = { url: `${origin}${COMPAT_PATH}`, headers: COMPAT_HEADERS };
  const check = (status: number, headers: Record<string, string | string[] | undefined>) =>
    status !== 200
      ? `answered ${status}, expected 200`
      : headers['cf-aig-cache-status'] === 'HIT'
        ? 'answered from the cache (cf-aig-cache-status: HIT)'
        : undefined;
  /** What each sanity answer must contain. */
  const modes = [
    {
      key: 'json',
      label: 'JSON',
      samples: COMPAT_SAMPLES,
      native: { target: native, body: ANTHROPIC_BODY, check, expect: ['"type":"message"', '"end_turn"'] },
      compat: {
        target: compat,
        body: COMPAT_BODY,
        check,
        expect: ['"object":"chat.completion"', '"finish_reason":"stop"', '"completion_tokens":41'],
      },
    },
    {
      key: 'stream',
      label: 'stream',
      samples: COMPAT_STREAM_SAMPLES,
      native: {
        target: native,
        body: ANTHROPIC_STREAM_BODY,
        check,
        expect: ['event: message_start', 'event: message_stop'],
      },
      compat: {
        target: compat,
        body: COMPAT_STREAM_BODY,
        check,
        expect: ['"object":"chat.completion.chunk"', '"completion_tokens":20', 'data: [DONE]'],
      },
    },
  ] as const;

  const results: CompatMeasurements = {};
  for (const mode of modes) {
    const pair = [mode.native, mode.compat] as const;
    try {
      const problems: string[] = [];
      for (const [name, s] of [
        ['native', mode.native],
        ['compat', mode.compat],
      ] as const) {
        const response = await fetch(s.target.url, {
          method: 'POST',
          headers: { ...s.target.headers, 'content-type': 'application/json' },
          body: s.body,
        });
        const text = await response.text();
        const missing = s.expect.filter((part) => !text.includes(part));
        if (response.status !== 200 || missing.length > 0) {
          problems.push(
            `${mode.label} ${name}: answered ${response.status}${missing.length > 0 ? `, without ${missing.join(', ')}` : ''}: ${text.slice(0, 200)}`,
          );
        }
      }
      if (problems.length > 0) {
        fail(`the sanity requests failed: ${problems.join('; ')}; rows left empty`);
        continue;
      }
    } catch (error) {
      fail(
        `${mode.label}: a sanity request failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }

    console.error(`  compat ${mode.label.padEnd(6)} native, compat (${mode.samples} rounds, interleaved)`);
    if (gatehouse.child) await settle(gatehouse.child.pid);
    let measured: Awaited<ReturnType<typeof measureSequential>>;
    try {
      measured = await measureSequential([...pair], mode.samples, Math.ceil(mode.samples / 4));
    } catch (error) {
      fail(`${mode.label}: a request failed: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const out: CompatPair = {};
    (['native', 'compat'] as const).forEach((name, i) => {
      const m = measured[i]!;
      if (m.failedChecks > 0) {
        fail(`${mode.label} ${name}: ${m.failedChecks} responses were wrong (first: ${m.firstFailure})`);
        return;
      }
      out[name] = m;
    });
    results[mode.key] = out;
  }
  return results;
}

/** Wait until the process uses at most one clock tick of CPU in each of two 250 ms windows (max 10 s). */
async function settle(pid: number): Promise<void> {
  const tick = 1_000_000 / CLOCK_TICKS_PER_SECOND;
  let quiet = 0;
  let last = readCpuMicros(pid);
  for (let i = 0; i < 40 && quiet < 2; i++) {
    await sleep(250);
    const now = readCpuMicros(pid);
    quiet = now - last <= tick ? quiet + 1 : 0;
    last = now;
  }
}
