import autocannon from 'autocannon';
import { Agent } from 'undici';

/**
 * The ways the bench loads a target: autocannon for throughput and latency under N connections,
 * a single undici connection for the time to the first byte of a stream, and request series sent
 * one at a time (each over its own undici connection) when every response must be checked.
 */

export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency percentiles in ms, computed from every response's own time (autocannon's histogram is whole ms). */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** Run autocannon against `target` for `seconds`, recording each 2xx response's latency. */
export function runLoad(
  target: HttpTarget,
  body: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json' },
        body,
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = latencies.subarray(0, count).sort();
        resolve({
          requests: result.requests.total,
          seconds: result.duration,
          requestsPerSecond: result.requests.total / result.duration,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        });
      },
    );
    instance.on(
      'response',
      (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
        if (statusCode < 200 || statusCode > 299) return;
        if (count === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[count++] = responseTimeMs;
      },
    );
  });
}

export interface TtfbResult {
  samples: number;
  /** Request start to the response head, and to the first body byte, in ms. */
  headP50Ms: number;
  firstByteP50Ms: number;
  firstByteP90Ms: number;
  /** Request start to the end of the stream. */
  totalP50Ms: number;
}

/**
 * Time to first byte of a streaming response over one keep-alive connection: `count` requests in
 * sequence after `warmup` unmeasured ones, timed from dispatch to undici's first onResponseData.
 */
export async function measureTtfb(
  target: HttpTarget,
  body: string,
  count: number,
  warmup: number,
): Promise<TtfbResult> {
  const url = new URL(target.url);
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const head: number[] = [];
  const first: number[] = [];
  const total: number[] = [];
  try {
    for (let i = 0; i < warmup + count; i++) {
      const timing = await timeOne(agent, url, target.headers, body);
      if (i < warmup) continue;
      head.push(timing.head);
      first.push(timing.first);
      total.push(timing.total);
    }
  } finally {
    await agent.close();
  }
  const sort = (values: number[]) => Float64Array.from(values).sort();
  return {
    samples: count,
    headP50Ms: percentile(sort(head), 0.5),
    firstByteP50Ms: percentile(sort(first), 0.5),
    firstByteP90Ms: percentile(sort(first), 0.9),
    totalP50Ms: percentile(sort(total), 0.5),
  };
}

function timeOne(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ head: number; first: number; total: number }> {
  return new Promise((resolve, reject) => {
    let head = 0;
    let first = 0;
    let status = 0;
    const start = performance.now();
    agent.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      },
      {
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          head = performance.now() - start;
          status = statusCode;
        },
        onResponseData() {
          if (first === 0) first = performance.now() - start;
        },
        onResponseEnd() {
          if (status !== 200) return reject(new Error(`${url.href} answered ${status}`));
          resolve({ head, first, total: performance.now() - start });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
}

export interface SequentialSeries {
  /** The request: its target (one keep-alive connection of its own) and body. */
  target: HttpTarget;
  body: string;
  /** Why a response is wrong (status, headers), or undefined when it is as expected. */
  check: (status: number, headers: Record<string, string | string[] | undefined>) => string | undefined;
}

export interface SequentialResult {
  samples: number;
  /** Dispatch to the end of the response body, in ms; every response counts, checked or not. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Responses (warm-up included) that failed `check`, and the first reason given. */
  failedChecks: number;
  firstFailure: string | undefined;
}

/**
 * Several request series measured in one loop, one request at a time: round after round, each
 * series sends its next request over its own keep-alive connection (never two requests in flight),
 * so drift during the loop (JIT, GC, a noisy neighbour) is shared by all series instead of biasing
 * whichever ran last. Timed from dispatch to the end of the response body; `warmup` rounds are not
 * timed. Every response, warm-up included, goes through its series' `check`.
 */
export async function measureSequential(
  series: SequentialSeries[],
  count: number,
  warmup: number,
): Promise<SequentialResult[]> {
  const agents = series.map(() => new Agent({ connections: 1, keepAliveTimeout: 30_000 }));
  const urls = series.map((s) => new URL(s.target.url));
  const times = series.map(() => new Float64Array(count));
  const failed = series.map(() => 0);
  const firstFailure: (string | undefined)[] = series.map(() => undefined);
  try {
    for (let round = 0; round < warmup + count; round++) {
      for (let i = 0; i < series.length; i++) {
        const s = series[i]!;
        const { status, headers, ms } = await exchangeOne(agents[i]!, urls[i]!, s.target.headers, s.body);
        const problem = s.check(status, headers);
        if (problem !== undefined) {
          failed[i]!++;
          firstFailure[i] ??= problem;
        }
        if (round >= warmup) times[i]![round - warmup] = ms;
      }
    }
  } finally {
    await Promise.all(agents.map((agent) => agent.close()));
  }
  return series.map((_, i) => {
    const sorted = times[i]!.sort();
    return {
      samples: count,
      p50Ms: percentile(sorted, 0.5),
      p90Ms: percentile(sorted, 0.9),
      p99Ms: percentile(sorted, 0.99),
      failedChecks: failed[i]!,
      firstFailure: firstFailure[i],
    };
  });
}

/** One request of any status, read to the end: its status, head and time in ms. */
function exchangeOne(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; ms: number }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let head: Record<string, string | string[] | undefined> = {};
    const start = performance.now();
    agent.dispatch(
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      },
      {
        onRequestStart() {},
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          head = responseHeaders;
        },
        onResponseData() {},
        onResponseEnd() {
          resolve({ status, headers: head, ms: performance.now() - start });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
}

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
