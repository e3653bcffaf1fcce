/** A plain aligned table for CLI listings; `empty` is printed when there are no rows. */
export function printTable(head: string[], rows: string[][], empty: string): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log([line(head), ...rows.map(line)].join('\n'));
  if (rows.length === 0) console.log(empty);
}
