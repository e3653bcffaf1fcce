/** Markdown tables and number formatting for the bench report. */

export type Align = 'left' | 'right';

/** A Markdown table with padded columns, so it reads well in a terminal and renders in the README. */
export function markdownTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((title, i) =>
    Math.max(3, width(title), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const pad = (text: string, i: number) => {
    const space = ' '.repeat(widths[i]! - width(text));
    return align[i] === 'right' ? space + text : text + space;
  };
  const line = (cells: string[]) => `| ${header.map((_, i) => pad(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'right' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Display width: code points, so that µ, ≤ and ✓ count as one column. */
function width(text: string): number {
  return [...text].length;
}

/** `12 345` style thousands, for requests per second. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value < 10 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

export function formatSignedMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 0 ? '+' : '−'}${formatMs(Math.abs(value))}`;
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function formatMicros(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} µs` : 'n/a';
}

export function formatMegabytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a';
}

/** ✓ when the goal is met, ✗ when not, – when it could not be measured. */
export function verdict(pass: boolean | null): string {
  return pass === null ? '–' : pass ? '✓' : '✗';
}
