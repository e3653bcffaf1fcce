import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureDashboardBuilt,
  launchBrowser,
  SKIP_BROWSER,
  screenshot,
  signIn,
  UNTIL_MS,
  until,
} from '../helpers/browser.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

describe.skipIf(SKIP_BROWSER)('dashboard: overview', () => {
  let gw: TestGateway;
  let mock: MockUpstream;
  let browser: Browser;
  let page: Page;
  /** Every analytics query the page made, in order. */
  const analyticsCalls: string[] = [];

  async function chat(
    model: string,
    headers: Record<string, string> = {},
    content = 'Hi',
  ): Promise<Response> {
    const res = await fetch(`${gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
    await res.text();
    return res;
  }

  /** The value a card shows, found by its label as a user reads it. */
  const card = (label: string) =>
    page
      .locator('.card')
      .filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
      .locator('dd.value');
  /** A card's value once it reads `want` (the numbers arrive after the page, and after each refresh). */
  const cardShows = (label: string, want: string) =>
    until(
      () => card(label).textContent(),
      (v) => v === want,
      { what: `the ${label} card` },
    );
  /**
   * A breakdown row's cells after its name: requests, errors, cached, tokens in, out, cost, saved,
   * p50, first byte p50.
   */
  const rowCells = async (name: string) =>
    page
      .getByRole('table', { name: /^Breakdown by/ })
      .locator('tbody tr')
      .filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) })
      .locator('td')
      .allTextContents();

  beforeAll(async () => {
    ensureDashboardBuilt();
    ({ gw, mock } = await startWithMock());
    const quiet = await gw.api('POST', '/gateways', {
      id: 'quiet',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
    });
    expect(quiet.status).toBe(200);

    for (let i = 0; i < 2; i++) expect((await chat('gpt-4o-mini')).status).toBe(200);
    // The provider's first byte: this one's is the slowest of the six that reach the provider.
    expect((await chat('gpt-4o-mini', { 'x-mock-scenario': 'slow-first-byte=250' })).status).toBe(200);
    expect((await chat('gpt-4o-mini', { 'x-mock-scenario': 'status=500' })).status).toBe(500);
    const miss = await chat('gpt-4o', { 'cf-aig-cache-ttl': '300' }, 'Cache me');
    expect(miss.headers.get('cf-aig-cache-status')).toBe('MISS');
    await gw.flushLogs();
    const hit = await chat('gpt-4o', { 'cf-aig-cache-ttl': '300' }, 'Cache me');
    expect(hit.headers.get('cf-aig-cache-status')).toBe('HIT');
    const claude = await fetch(`${gw.gatewayUrl()}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(claude.status).toBe(200);
    await gw.flushLogs();

    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    // A fake clock (running at normal speed) lets the test jump over the 30 s refresh.
    await page.clock.install();
    page.on('request', (r) => {
      if (r.url().includes('/analytics?')) analyticsCalls.push(r.url());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await mock?.close();
  });

  it('shows the totals, what the cache saved, the charts and the breakdown', async () => {
    await signIn(page, gw.url, gw.adminToken);
    expect(await cardShows('Requests', '7')).toBe('7');
    expect(await card('Errors').textContent()).toBe('1');
    expect(await page.getByText('14.3% error rate').count()).toBe(1);
    expect(await card('Cache hit rate').textContent()).toBe('14.3%');

    const stored = await gw.api('GET', `/analytics?start=${Date.now() - 3_600_000}`);
    const saved = stored.json.result.series[0].totals.saved_cost as number;
    expect(saved).toBeGreaterThan(0);
    const shown = Number((await card('Saved by cache').textContent())!.replace(/[$,]/g, ''));
    expect(shown).toBeGreaterThan(0);
    // Three significant digits on screen.
    expect(Math.abs(shown - saved) / saved).toBeLessThan(0.01);
    expect(await card('Cost').textContent()).toMatch(/^\$0\.0*[1-9]/);
    // The provider's first byte, over the six requests that reached the provider (not the hit).
    const firstByte = stored.json.result.series[0].totals;
    expect(firstByte).not.toHaveProperty('first_byte_p99');
    const asked = (await gw.api('GET', `/analytics?start=${Date.now() - 3_600_000}&first_byte=true`)).json
      .result.series[0].totals;
    expect(asked.first_byte_p99).toBeGreaterThanOrEqual(250);
    expect(
      await page
        .locator('.card')
        .filter({ has: page.locator('dt', { hasText: /^Latency p50$/ }) })
        .locator('dd.detail')
        .textContent(),
    ).toBe(`p99 ${asked.latency_p99} ms; provider's first byte p50 ${asked.first_byte_p50} ms`);

    for (const title of [
      'Requests and errors per hour',
      'Cost per hour, by provider',
      'Tokens per hour',
      'Latency per hour',
    ]) {
      expect(await page.getByRole('heading', { name: title }).count(), title).toBe(1);
    }
    // The charts are drawn (and labelled) after the numbers are rendered.
    const canvases = await until(
      () => page.locator('.chart-box canvas').count(),
      (n) => n >= 4,
      { what: 'the chart canvases' },
    );
    expect(canvases).toBeGreaterThanOrEqual(4);
    const latency = page.getByRole('img', {
      name: /Latency p50 and p99, and the provider's first byte p50, per hour/,
    });
    await latency.waitFor({ timeout: UNTIL_MS });
    expect(await latency.count()).toBe(1);

    // Provider is the default breakdown: requests, errors, cached first.
    expect((await rowCells('openai')).slice(0, 3)).toEqual(['6', '1', '1']);
    expect((await rowCells('anthropic')).slice(0, 3)).toEqual(['1', '0', '0']);
    const byProvider = (
      await gw.api('GET', `/analytics?start=${Date.now() - 3_600_000}&first_byte=true&group_by=provider`)
    ).json.result.series as Array<{ group: string; totals: { first_byte_p50: number } }>;
    for (const { group, totals } of byProvider)
      expect((await rowCells(group)).at(-1), group).toBe(`${totals.first_byte_p50} ms`);
    await screenshot(page, 'overview');
  });

  it('switches the breakdown between model and provider', async () => {
    await page.getByRole('button', { name: 'Model', exact: true }).click();
    await page.getByRole('columnheader', { name: 'Model' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Cost per hour, by model' }).count()).toBe(1);
    expect((await rowCells('gpt-4o-mini')).slice(0, 3)).toEqual(['4', '1', '0']);
    expect((await rowCells('gpt-4o')).slice(0, 3)).toEqual(['2', '0', '1']);
    expect(await rowCells('openai')).toEqual([]);
    expect(page.url()).toContain('group=model');

    await page.getByRole('button', { name: 'Provider', exact: true }).click();
    await page.getByRole('columnheader', { name: 'Provider' }).waitFor();
    expect((await rowCells('openai')).slice(0, 3)).toEqual(['6', '1', '1']);
  });

  it('a shorter range is counted per minute; a gateway without traffic says so', async () => {
    await page.getByRole('button', { name: '1 h', exact: true }).click();
    await page.getByRole('heading', { name: 'Requests and errors per minute' }).waitFor();
    expect(await card('Requests').textContent()).toBe('7');
    expect(await page.getByRole('button', { name: '1 h', exact: true }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(analyticsCalls.at(-1)).toContain('bucket=minute');

    const select = page.getByLabel('Gateway');
    // The gateway list loads on its own, apart from the numbers.
    await select.locator('option', { hasText: 'quiet' }).waitFor({ state: 'attached', timeout: UNTIL_MS });
    expect(await select.locator('option').allTextContents()).toEqual(['All gateways', 'default', 'quiet']);
    await select.selectOption('quiet');
    await page.getByText('No traffic in the last hour on gateway quiet.').waitFor();
    expect(await page.locator('.chart-box').count()).toBe(0);
    expect(analyticsCalls.at(-1)).toContain('gateway=quiet');

    await select.selectOption('');
    expect(await cardShows('Requests', '7')).toBe('7');
  });

  it('refreshes every 30 seconds, and on request', async () => {
    await chat('gpt-4o-mini');
    await gw.flushLogs();
    expect(await card('Requests').textContent()).toBe('7');
    await page.clock.fastForward(30_000);
    expect(await cardShows('Requests', '8')).toBe('8');

    await chat('gpt-4o-mini');
    await gw.flushLogs();
    await page.getByRole('button', { name: 'Refresh' }).click();
    expect(await cardShows('Requests', '9')).toBe('9');
  });

  it('shows the server’s message when a query fails', async () => {
    await page.goto(`${gw.url}/#/overview?gateway=nope`);
    const alert = await until(
      () => page.getByRole('alert').first().textContent(),
      (t) => t?.includes('Gateway "nope" not found') === true,
      { what: 'the alert' },
    );
    expect(alert).toContain('Gateway "nope" not found');
    // Numbers for another selection are not left on screen beside the failure.
    expect(await card('Requests').count()).toBe(0);
  });

  it('a read token limited to one gateway is offered only that gateway', async () => {
    const made = await gw.api('POST', '/tokens', {
      name: 'viewer',
      permissions: ['read'],
      gateways: ['quiet'],
    });
    await page.goto(`${gw.url}/#/overview`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, gw.url, made.json.result.value);
    // The gateway list arrives after sign-in; read the options once it has.
    await page.getByText('No traffic in the last 24 hours.').waitFor();
    await page.getByLabel('Gateway').locator('option', { hasText: 'quiet' }).waitFor({ state: 'attached' });
    expect(await page.getByLabel('Gateway').locator('option').allTextContents()).toEqual([
      'All gateways',
      'quiet',
    ]);
  });
});
