import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt, launchBrowser, SKIP_BROWSER, signIn } from '../helpers/browser.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';

describe.skipIf(SKIP_BROWSER)('dashboard: served at /, sign-in', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ensureDashboardBuilt();
    gw = await startGatehouse();
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('serves the page with a content security policy and gzipped, immutable assets', async () => {
    const res = await fetch(`${gw.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${gw.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect((await fetch(`${gw.url}/assets/nope.js`)).status).toBe(404);
  });

  it('a wrong token is refused with the server’s reason; the admin token signs in', async () => {
    await page.goto(`${gw.url}/`);
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Authentication error');
    await signIn(page, gw.url, gw.adminToken);
    await expect(page.getByText('local · admin').count()).resolves.toBe(1);
  });

  it('a token with only "run" is told what the dashboard needs', async () => {
    const made = await gw.api('POST', '/tokens', { name: 'runner', permissions: ['run'] });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').fill(made.json.result.value);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('needs the admin token');
  });

  it('GET /client/v4/user/tokens/verify says who a token is and what it may do', async () => {
    const made = await gw.api('POST', '/tokens', {
      name: 'reader',
      permissions: ['read'],
      gateways: ['default'],
    });
    const res = await fetch(`${gw.url}/client/v4/user/tokens/verify`, {
      headers: { authorization: `Bearer ${made.json.result.value}` },
    });
    const body = (await res.json()) as { result: Record<string, unknown> };
    expect(body.result).toMatchObject({
      kind: 'token',
      name: 'reader',
      permissions: ['read'],
      gateways: ['default'],
      status: 'active',
      account_id: 'local',
    });
    const anonymous = await fetch(`${gw.url}/client/v4/user/tokens/verify`);
    expect(anonymous.status).toBe(401);
  });
});
