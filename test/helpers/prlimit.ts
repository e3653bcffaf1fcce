import { execFileSync } from 'node:child_process';

/**
 * Whether `prlimit` (util-linux) is here: the tests of a full disk set a soft limit on the size of
 * the files a process writes with it (EFBIG as a full disk's ENOSPC).
 */
export const PRLIMIT = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Prints the notice outside CI; returns whether the test should be skipped. */
export function skipWithoutPrlimit(what: string): { skip: boolean; missing: string } {
  const missing = `prlimit (util-linux) is not installed: ${what} is skipped`;
  if (!PRLIMIT && !process.env['CI']) console.warn(`NOTICE: ${missing}`);
  return { skip: !PRLIMIT && !process.env['CI'], missing };
}
