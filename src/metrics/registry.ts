/**
 * A small Prometheus registry: labelled counters, gauges read at scrape time, and histograms with
 * fixed buckets, rendered in the text exposition format (version 0.0.4). Label values are escaped;
 * series are kept in maps keyed by their label values, so an update is one lookup and an add.
 */

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function render(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

export class Counter {
  readonly #series = new Map<string, { values: string[]; n: number }>();
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];

  constructor(name: string, help: string, labels: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
  }

  inc(values: string[], by = 1): void {
    const key = values.join('\u0000');
    const s = this.#series.get(key);
    if (s) s.n += by;
    else this.#series.set(key, { values, n: by });
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.#series.values()) lines.push(`${this.name}${render(this.labels, s.values)} ${s.n}`);
    return lines.join('\n');
  }
}

export class Histogram {
  readonly #series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labels: readonly string[], buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
    this.buckets = buckets;
  }

  observe(values: string[], v: number): void {
    const key = values.join('\u0000');
    let s = this.#series.get(key);
    if (!s) {
      s = { values, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${render(this.labels, s.values, `le="${b}"`)} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${render(this.labels, s.values, 'le="+Inf"')} ${s.count}`);
      lines.push(`${this.name}_sum${render(this.labels, s.values)} ${s.sum}`);
      lines.push(`${this.name}_count${render(this.labels, s.values)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** A value read when scraped: a gauge, or a counter kept by someone else (`type: 'counter'`). */
export class Gauge {
  readonly name: string;
  readonly help: string;
  readonly read: () => number;
  readonly type: 'gauge' | 'counter';

  constructor(name: string, help: string, read: () => number, type: 'gauge' | 'counter' = 'gauge') {
    this.name = name;
    this.help = help;
    this.read = read;
    this.type = type;
  }

  expose(): string {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} ${this.type}`,
      `${this.name} ${this.read()}`,
    ].join('\n');
  }
}

export function exposition(metrics: Array<Counter | Histogram | Gauge>): string {
  return `${metrics.map((m) => m.expose()).join('\n')}\n`;
}

export type { Labels };
