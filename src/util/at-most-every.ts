/**
 * For trouble that repeats (every flush while a database is down, every row while a disk is full,
 * every write Redis refuses): `report` runs the first time at once, then at most once per
 * `intervalMs`, told how many times it happened since the last report (this one included). A
 * report per occurrence would flood the process log, and on a full disk fill it further.
 */
/** What a report adds when it stands for more than one occurrence: ` (N {what} since the last report)`. */
export function sinceLastReport(times: number, what: string): string {
  return times > 1 ? ` (${times} ${what} since the last report)` : '';
}

export function atMostEvery(
  intervalMs: number,
  report: (message: string, times: number) => void,
): (message: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  let times = 0;
  return (message) => {
    times++;
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    const n = times;
    times = 0;
    report(message, n);
  };
}
