import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt, launchBrowser, SKIP_BROWSER, signIn, until } from '../helpers/browser.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';

describe.skipIf(SKIP_BROWSER)('dashboard: light and dark, on a phone', () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    gw = await startGatehouse();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('follows the OS scheme, live, until the toggle chooses one; no sideways scroll at phone width', async () => {
    const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await signIn(page, gw.url, gw.adminToken);
    // Evaluated in the page (strings: the tests' TypeScript has no DOM types).
    const scheme = () => page.evaluate<string>('document.documentElement.dataset.theme');
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(await scheme()).toBe('dark');
    expect(await background()).toBe('rgb(17, 20, 24)');
    await page.emulateMedia({ colorScheme: 'light' });
    await until(scheme, (s) => s === 'light', { what: 'the page to follow the OS to light' });
    expect(await background()).toBe('rgb(246, 247, 249)');
    // system → light → dark: once chosen, the OS preference no longer decides.
    await page.getByRole('button', { name: 'Theme: system' }).click();
    await page.getByRole('button', { name: 'Theme: light' }).click();
    await until(scheme, (s) => s === 'dark', { what: 'the toggle to choose dark' });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await scheme()).toBe('dark');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  });
});
