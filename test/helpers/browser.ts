import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
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

/** The built dashboard, built once if this checkout has none yet (npm install builds it). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(ROOT, 'dashboard', 'dist', 'index.html'))) return;
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
