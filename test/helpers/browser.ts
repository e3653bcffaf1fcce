import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './spawn.ts';

/**
 * The dashboard's browser tests drive Debian's Chromium through playwright-core (installed by
 * .ci/run). Without a Chromium they skip with a notice; under CI=true that is a failure.
 */

const CANDIDATES = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const CHROMIUM = CANDIDATES.find((p): p is string => typeof p === 'string' && existsSync(p));
const MISSING =
  'Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): dashboard browser tests skipped';
if (!CHROMIUM && !process.env['CI']) console.warn(`NOTICE: ${MISSING}`);

/** `describe.skipIf(SKIP_BROWSER)`: skipped without Chromium, except under CI where the launch fails loudly. */
export const SKIP_BROWSER = !CHROMIUM && !process.env['CI'];

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(`${MISSING}; under CI=true this is a failure`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** The newest modification time under `dir` (the dashboard's sources). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The built dashboard, rebuilt when this checkout has none or its sources changed since
 * (npm install builds it; a stale build would test yesterday's page).
 */
export function ensureDashboardBuilt(): void {
  const dashboard = join(ROOT, 'dashboard');
  const built = join(dashboard, 'dist', 'index.html');
  const sources = Math.max(newest(join(dashboard, 'src')), statSync(join(dashboard, 'index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const r = spawnSync('npm', ['run', 'build:dashboard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the dashboard failed:\n${r.stdout}${r.stderr}`);
}

/** Signs in through the form, as a user would; resolves once the app shell is shown. */
export async function signIn(page: Page, baseUrl: string, token: string, hash = '#/overview'): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** How long `until` (and the tests' waits) give the page to reach a state: CI runs under load. */
export const UNTIL_MS = 10_000;
const EXPIRED = Symbol('expired');

/**
 * Reads `read` again and again until `ok` holds of what it returned, and returns that value. For
 * page state that an action changes asynchronously (a count, a text, an attribute): read it through
 * this, not right after the action. After `timeout` ms (10 s) it fails, showing the last value read
 * (or the last error, when the read itself failed); a read still pending at the deadline counts as
 * a failure too. No assertion is implied: check the returned value with `expect` as before.
 */
export async function until<T>(
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  { timeout = UNTIL_MS, what = 'the page' }: { timeout?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: { value: T } | { error: unknown } | undefined;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof EXPIRED>((resolve) => {
      timer = setTimeout(() => resolve(EXPIRED), Math.max(0, left));
    });
    try {
      const value = await Promise.race([Promise.resolve().then(read), expired]);
      if (value !== EXPIRED) {
        last = { value };
        if (ok(value)) return value;
      }
    } catch (error) {
      last = { error };
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() >= deadline) {
      const seen =
        last === undefined
          ? 'no read finished'
          : 'error' in last
            ? `the read failed: ${String(last.error)}`
            : `last value: ${JSON.stringify(last.value)}`;
      throw new Error(`until: ${what} did not reach the expected state within ${timeout} ms (${seen})`, {
        cause: last && 'error' in last ? last.error : undefined,
      });
    }
    // Between reads, let the page work; this paces the polling, it is not a wait for the state.
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

const SHOTS = join(ROOT, '.ci', 'screenshots');

/**
 * A screenshot into .ci/screenshots/{name}.png; with GATEHOUSE_UPDATE_SCREENSHOTS=1 also into
 * docs/screenshots/ (the README shows those), so a plain test run leaves the tree unchanged.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env['GATEHOUSE_UPDATE_SCREENSHOTS'] === '1') {
    const docs = join(ROOT, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    copyFileSync(file, join(docs, `${name}.png`));
  }
  return file;
}
