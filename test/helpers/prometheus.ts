// @ts-expect-error: the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expect } from 'vitest';

/** One metric family as the Prometheus text parser reads it. */
export interface Family {
  name: string;
  type: string;
  metrics: Array<{
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

/**
 * Prometheus text, parsed by a Prometheus parser: the families by name. The parser reads a
 * histogram with labels as one series (its `le` buckets overwritten series by series, its
 * count, sum and labels dropped), so each histogram's series are handed to it one at a time,
 * without their labels, and given their labels back.
 */
export function parseMetrics(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[];
  for (const family of families) {
    if (family.type === 'HISTOGRAM') family.metrics = histogramSeries(text, family.name);
  }
  return new Map(families.map((f) => [f.name, f]));
}

function histogramSeries(text: string, name: string): Family['metrics'] {
  const sample = new RegExp(`^${name}_(bucket|sum|count)(?:\\{(.*)\\})? (\\S+)$`);
  const series = new Map<string, { labels: Record<string, string>; lines: string[] }>();
  for (const line of text.split('\n')) {
    const m = sample.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    let le: string | undefined;
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (key === 'le') le = value;
      else labels[key!] = value!;
    }
    const id = JSON.stringify(labels);
    let s = series.get(id);
    if (!s) {
      s = { labels, lines: [] };
      series.set(id, s);
    }
    s.lines.push(`${name}_${m[1]}${le === undefined ? '' : `{le="${le}"}`} ${m[3]}`);
  }
  return [...series.values()].map(({ labels, lines }) => {
    const [one] = parsePrometheusTextFormat(`# TYPE ${name} histogram\n${lines.join('\n')}\n`) as Family[];
    return { ...one!.metrics[0], labels };
  });
}

/** `GET {baseUrl}/metrics` as Prometheus scrapes it, with a token. */
export async function scrapeMetrics(baseUrl: string, token: string): Promise<Map<string, Family>> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}
