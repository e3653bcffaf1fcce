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

const WAIT = { timeout: UNTIL_MS };
/** The list request of the Logs page (not the live tail, not one log). */
const LIST_REQUEST = /\/gateways\/[^/]+\/logs\?/;

describe.skipIf(SKIP_BROWSER)('dashboard: logs and a log', () => {
  let gw: TestGateway;
  let mock: MockUpstream;
  let browser: Browser;
  let page: Page;
  const ids = { plain: '', streamed: '', tagged: '', bare: '', failed: '', cached: '' };

  async function chat(
    model: string,
    opts: { stream?: boolean; headers?: Record<string, string> } = {},
  ): Promise<string> {
    const res = await fetch(`${gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        ...(opts.stream ? { stream: true } : {}),
      }),
    });
    await res.text();
    const id = res.headers.get('cf-aig-log-id');
    if (!id) throw new Error(`no log id (status ${res.status})`);
    return id;
  }

  const rows = () => page.getByRole('region', { name: 'Logs' }).locator('tbody tr');
  const rowCount = (n: number) => expect.poll(() => rows().count(), WAIT).toBe(n);
  const shownModels = async () => (await rows().locator('td:nth-child(4)').allTextContents()).sort();
  /**
   * Runs `action`, which changes what the list asks the server for, and waits until that answer is
   * on screen: its request answered and the list no longer busy. The old rows stay up while the new
   * ones load, and some changes leave the row count as it was, so the count alone cannot tell. Every
   * action that reloads the list goes through here, so no earlier request is still in flight.
   */
  async function listed(action: () => Promise<unknown>): Promise<void> {
    const asked = page.waitForRequest((r) => LIST_REQUEST.test(r.url()), WAIT);
    asked.catch(() => {}); // reported below, unless `action` failed first
    await action();
    const answered = await (await asked).response();
    expect(answered, 'the list request got no answer').not.toBeNull();
    await page.locator('section[aria-label="Logs"][aria-busy="false"]').waitFor(WAIT);
  }
  const filtersForm = () => page.getByRole('form', { name: 'Filters' });
  async function openFilters() {
    if (!(await filtersForm().isVisible())) await page.locator('summary', { hasText: 'Filters' }).click();
    await filtersForm().waitFor(WAIT);
  }
  async function filter(label: string, value: string) {
    await openFilters();
    await filtersForm().getByLabel(label, { exact: true }).fill(value);
    await listed(() => filtersForm().getByRole('button', { name: 'Apply filters' }).click());
  }
  /** Chooses in one of the filter selects, which apply at once. */
  async function choose(label: string, value: string) {
    await openFilters();
    await listed(() => filtersForm().getByLabel(label).selectOption(value));
  }
  async function clearFilters(total: number) {
    await listed(() => filtersForm().getByRole('button', { name: 'Clear filters' }).click());
    await rowCount(total);
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    ({ gw, mock } = await startWithMock());
    // 26 logs: more than one page of 25.
    for (let i = 0; i < 21; i++) await chat('gpt-4o-mini');
    ids.plain = await chat('gpt-4.1');
    ids.streamed = await chat('gpt-4o-mini', { stream: true });
    ids.tagged = await chat('gpt-4.1', {
      // The slowest first byte of them all.
      headers: {
        'cf-aig-metadata': JSON.stringify({ team: 'search' }),
        'x-mock-scenario': 'slow-first-byte=80',
      },
    });
    ids.bare = await chat('gpt-4o-mini', { headers: { 'cf-aig-collect-log-payload': 'false' } });
    ids.failed = await chat('gpt-4o-mini', { headers: { 'x-mock-scenario': 'status=500' } });
    await gw.flushLogs();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await mock?.close();
  });

  it('lists the gateway’s logs, the chosen gateway kept in the link', async () => {
    await signIn(page, gw.url, gw.adminToken, '#/logs');
    await rowCount(26);
    expect(new URL(page.url()).hash).toContain('gateway=default');
    await expect(page.getByRole('combobox', { name: 'Gateway' }).inputValue()).resolves.toBe('default');
    await expect(page.getByText('Page 1 of 1 · 26 logs').count()).resolves.toBe(1);
    const plain = page.locator(`tr[data-log-id="${ids.plain}"]`);
    const cells = await plain.locator('td').allTextContents();
    expect(cells[1]).toBe('Success 200');
    expect(cells[2]).toBe('openai');
    expect(cells[3]).toBe('gpt-4.1');
    const stored = (await gw.api('GET', `/gateways/default/logs/${ids.plain}`)).json.result;
    expect(stored.tokens_in).toBeGreaterThan(0);
    expect(cells[4]).toBe(stored.tokens_in.toLocaleString('en-US'));
    expect(cells[5]).toBe(stored.tokens_out.toLocaleString('en-US'));
    expect(cells[6]).toMatch(/^\$0\.\d+/);
    expect(cells[7]).toMatch(/ ms$|\d s$/);
    expect(cells[8]).toBe(`${stored.upstream_first_byte} ms`);
    const failed = await page.locator(`tr[data-log-id="${ids.failed}"] td`).nth(1).textContent();
    expect(failed).toBe('Error 500');
    await screenshot(page, 'logs');
  });

  it('pages through with page and per_page, sorts by a column', async () => {
    await listed(() => page.getByRole('combobox', { name: 'Per page' }).selectOption('25'));
    await rowCount(25);
    await expect(page.getByText('Page 1 of 2 · 26 logs').count()).resolves.toBe(1);
    await listed(() => page.getByRole('button', { name: 'Next' }).click());
    await rowCount(1);
    await expect(page.getByText('Page 2 of 2 · 26 logs').count()).resolves.toBe(1);
    expect(new URL(page.url()).hash).toMatch(/page=2/);
    // Oldest-first on page 2 of newest-first is the very first request.
    await listed(() => page.getByRole('button', { name: 'Previous' }).click());
    await rowCount(25);
    await listed(() => page.getByRole('combobox', { name: 'Per page' }).selectOption('50'));
    await rowCount(26);

    // Newest first, the top row is a gpt-4o-mini too: only the sorted answer tells.
    await listed(() => page.getByRole('button', { name: 'Model', exact: true }).click());
    await expect
      .poll(() => page.getByRole('columnheader', { name: 'Model' }).getAttribute('aria-sort'), WAIT)
      .toBe('descending');
    await expect
      .poll(async () => (await rows().locator('td:nth-child(4)').allTextContents())[0], WAIT)
      .toBe('gpt-4o-mini');
    await listed(() => page.getByRole('button', { name: 'Model', exact: true }).click());
    await expect
      .poll(async () => (await rows().locator('td:nth-child(4)').allTextContents())[0], WAIT)
      .toBe('gpt-4.1');
    expect(new URL(page.url()).hash).toContain('order_by=model');
    expect(new URL(page.url()).hash).toContain('dir=asc');
    // The slowest first byte on top.
    await listed(() => page.getByRole('button', { name: 'First byte', exact: true }).click());
    expect(new URL(page.url()).hash).toContain('order_by=upstream_first_byte');
    await expect
      .poll(async () => (await rows().first().getAttribute('data-log-id')) ?? '', WAIT)
      .toBe(ids.tagged);
    const firstBytes = await rows().locator('td:nth-child(9)').allTextContents();
    expect(Number.parseInt(firstBytes[0]!, 10)).toBeGreaterThanOrEqual(80);
    await listed(() => page.getByRole('button', { name: 'Time', exact: true }).click());
    await expect
      .poll(() => page.getByRole('columnheader', { name: 'Time' }).getAttribute('aria-sort'), WAIT)
      .toBe('descending');
  });

  it('filters by model, kept in the hash across a reload; and by metadata, status, search, cost, duration, first byte, time', async () => {
    await filter('Model', 'gpt-4.1');
    await rowCount(2);
    expect(await shownModels()).toEqual(['gpt-4.1', 'gpt-4.1']);
    expect(new URL(page.url()).hash).toContain('model=gpt-4.1');
    await listed(() => page.reload());
    await rowCount(2);
    expect(await shownModels()).toEqual(['gpt-4.1', 'gpt-4.1']);
    await expect(filtersForm().getByLabel('Model', { exact: true }).inputValue()).resolves.toBe('gpt-4.1');
    await clearFilters(26);

    await filter('Metadata', 'team=search');
    await rowCount(1);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(ids.tagged);
    await filter('Metadata', 'team=other');
    await expect.poll(() => page.getByText('No logs match these filters.').count(), WAIT).toBe(1);
    await clearFilters(26);

    await choose('Status', 'false');
    await rowCount(1);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(ids.failed);
    await choose('Status', 'true');
    await rowCount(25);
    await clearFilters(26);

    await filter('Search', ids.streamed);
    await rowCount(1);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(ids.streamed);
    await clearFilters(26);

    // What the server says costs more than the cheapest gpt-4.1 call, less a hair.
    const all = (await gw.api('GET', '/gateways/default/logs?per_page=100')).json.result as Array<{
      model: string;
      cost: number | null;
    }>;
    const threshold = Math.min(...all.filter((l) => l.model === 'gpt-4.1').map((l) => l.cost!)) * 0.999;
    const expensive = all.filter((l) => l.cost !== null && l.cost > threshold).length;
    expect(expensive).toBeGreaterThan(0);
    expect(expensive).toBeLessThan(26);
    await filter('Cost over ($)', String(threshold));
    await rowCount(expensive);
    await clearFilters(26);
    await filter('Cost under ($)', String(threshold));
    await rowCount(all.filter((l) => l.cost !== null && l.cost < threshold).length);
    await clearFilters(26);

    await filter('Duration over (ms)', '600000');
    await expect.poll(() => page.getByText('No logs match these filters.').count(), WAIT).toBe(1);
    await filter('Duration over (ms)', '');
    await filter('Duration under (ms)', '600000');
    await rowCount(26);
    await clearFilters(26);

    // The provider's first byte: only the call the mock held back 80 ms before answering.
    await filter('First byte over (ms)', '75');
    await rowCount(1);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(ids.tagged);
    expect(new URL(page.url()).hash).toContain('first_byte_min=75');
    await clearFilters(26);

    await filter('Until', '2001-01-01T00:00');
    await expect.poll(() => page.getByText('No logs match these filters.').count(), WAIT).toBe(1);
    expect(new URL(page.url()).hash).toMatch(/end=2001-01-01T|end=2000-12-31T/);
    await filter('Until', '');
    await filter('From', '2001-01-01T00:00');
    await rowCount(26);
    await clearFilters(26);

    await choose('Cached', 'true');
    await expect.poll(() => page.getByText('No logs match these filters.').count(), WAIT).toBe(1);
    await choose('Cached', 'false');
    await rowCount(26);
    await clearFilters(26);
  });

  it('opens a streamed log by keyboard: the request pretty-printed, the answer assembled, the raw stream on demand', async () => {
    const row = page.locator(`tr[data-log-id="${ids.streamed}"]`);
    await row.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Log / }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/logs/${ids.streamed}?gateway=default`);

    const request = page.getByRole('region', { name: 'Request' });
    // The bodies load after the log itself.
    await request.locator('pre.body').waitFor(WAIT);
    const requestBody = await request.locator('pre.body').textContent();
    expect(requestBody).toBe(
      JSON.stringify(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true },
        null,
        2,
      ),
    );
    await request.getByText(/^Request headers \(\d+\)$/).click();
    await request.getByRole('cell', { name: 'content-type' }).first().waitFor(WAIT);
    await expect(request.getByRole('cell', { name: 'content-type' }).count()).resolves.toBe(1);
    const auth = request.getByRole('row').filter({ has: page.getByRole('cell', { name: 'authorization' }) });
    await expect(auth.locator('td').last().textContent()).resolves.toBe('[redacted]');

    const response = page.getByRole('region', { name: 'Response' });
    // What the mock streamed, joined here independently of the page's own parser.
    const stored = (await gw.api('GET', `/gateways/default/logs/${ids.streamed}/response`)).json
      .result as string;
    const chunks = stored
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? '');
    expect(chunks.filter(Boolean).length).toBeGreaterThan(1);
    await response.locator('pre.assembled').waitFor(WAIT);
    await expect(response.locator('pre.assembled').textContent()).resolves.toBe(chunks.join(''));
    const toggle = response.getByRole('button', { name: 'Show raw stream' });
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await toggle.click();
    const pressed = await until(
      () => toggle.getAttribute('aria-pressed'),
      (v) => v === 'true',
      {
        what: 'the raw stream toggle',
      },
    );
    expect(pressed).toBe('true');
    // The assembled text is a pre.body too: read once the raw one has replaced it.
    await response.locator('pre.body:not(.assembled)').waitFor(WAIT);
    const raw = await response.locator('pre.body').textContent();
    expect(raw).toContain('data: {');
    expect(raw).toBe(stored);
    expect(raw).toContain('data: [DONE]');
    await expect(response.locator('pre.assembled').count()).resolves.toBe(0);
  });

  it('thumbs up and a score are stored, and shown', async () => {
    const up = page.getByRole('button', { name: 'Thumbs up' });
    const down = page.getByRole('button', { name: 'Thumbs down' });
    await expect(up.getAttribute('aria-pressed')).resolves.toBe('false');
    await up.click();
    await expect.poll(() => up.getAttribute('aria-pressed'), WAIT).toBe('true');
    await expect(down.getAttribute('aria-pressed')).resolves.toBe('false');
    await page.getByLabel('Score (0–100)').fill('80');
    await page.getByRole('button', { name: 'Save score' }).click();
    await expect.poll(() => page.getByText('Saved: thumbs up, score 80').count(), WAIT).toBe(1);

    const stored = await gw.api('GET', `/gateways/default/logs/${ids.streamed}`);
    expect(stored.json.result).toMatchObject({ feedback: 1, score: 80 });

    // Back in the list the row shows it.
    await page.getByRole('link', { name: /Logs of default/ }).click();
    const row = page.locator(`tr[data-log-id="${ids.streamed}"]`);
    await row.waitFor(WAIT);
    await expect(row.getByRole('img', { name: 'thumbs up' }).count()).resolves.toBe(1);
    await expect(row.locator('td').last().textContent()).resolves.toBe('80');
  });

  it('shows metadata and price source; a log kept without bodies says so; an unknown log shows the server’s message', async () => {
    await page.locator(`tr[data-log-id="${ids.tagged}"]`).click();
    const metadata = page.getByRole('definition').filter({ hasText: /^search$/ });
    await metadata.waitFor(WAIT);
    await expect(
      page
        .getByRole('term')
        .filter({ hasText: /^team$/ })
        .count(),
    ).resolves.toBe(1);
    await expect(page.getByText('(price table)').count()).resolves.toBe(1);
    await expect(page.getByText('— · attempt 1').count()).resolves.toBe(1);
    // Provider latency apart from the gateway's own time.
    await expect(
      page
        .getByRole('term')
        .filter({ hasText: /^Upstream$/ })
        .count(),
    ).resolves.toBe(1);
    await expect(
      page
        .getByRole('term')
        .filter({ hasText: /^Gateway overhead$/ })
        .count(),
    ).resolves.toBe(1);
    await expect(
      page
        .getByRole('term')
        .filter({ hasText: /^Provider's first byte$/ })
        .count(),
    ).resolves.toBe(1);
    // Caching did not apply to it: no key.
    await expect(
      page
        .getByRole('term')
        .filter({ hasText: /^Cache key$/ })
        .count(),
    ).resolves.toBe(0);

    // A cached request's log shows the key its hit shares.
    expect(
      (
        await gw.api('POST', '/gateways', {
          id: 'keyed',
          cache_ttl: 600,
          cache_invalidate_on_update: false,
          collect_logs: true,
          rate_limiting_interval: 0,
          rate_limiting_limit: 0,
        })
      ).status,
    ).toBe(200);
    const cachedCall = await fetch(`${gw.gatewayUrl('keyed')}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Cache me' }] }),
    });
    await cachedCall.text();
    expect(cachedCall.headers.get('cf-aig-cache-status')).toBe('MISS');
    const cachedId = cachedCall.headers.get('cf-aig-log-id')!;
    ids.cached = cachedId;
    await gw.flushLogs();
    const cacheKey = (await gw.api('GET', `/gateways/keyed/logs/${cachedId}`)).json.result.cache_key;
    expect(cacheKey).toMatch(/^[0-9a-f]{64}$/);
    await page.goto(`${gw.url}/#/logs/${cachedId}?gateway=keyed`);
    await page.getByRole('definition').filter({ hasText: cacheKey }).waitFor(WAIT);
    // The entry is there, until the gateway's TTL runs out.
    const shown = (await gw.api('GET', `/gateways/keyed/cache/${cacheKey}`)).json.result;
    const expires = page.locator('dl[aria-label="Cache entry"] dd').nth(1);
    await expires.waitFor(WAIT);
    await expect(expires.getAttribute('title')).resolves.toBe(shown.expires_at);
    // Purged from here, the entry alone: the same request misses once more.
    await page.getByRole('button', { name: 'Purge this entry' }).click();
    await page.getByText('Purged: the next identical request goes to the provider.').waitFor(WAIT);
    await page.getByText('Not in the cache now: it expired or was purged.').waitFor(WAIT);
    // Pressed again, there is nothing left to purge, and it says so.
    await page.getByRole('button', { name: 'Purge this entry' }).click();
    await page.getByText('Nothing to purge: the entry had expired or was purged already.').waitFor(WAIT);
    const again = await fetch(`${gw.gatewayUrl('keyed')}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Cache me' }] }),
    });
    await again.text();
    expect(again.headers.get('cf-aig-cache-status')).toBe('MISS');

    await page.goto(`${gw.url}/#/logs/${ids.bare}?gateway=default`);
    await page.getByRole('region', { name: 'Response' }).getByText('Body not stored').waitFor(WAIT);
    // Each body loads on its own.
    await page.getByRole('region', { name: 'Request' }).getByText('Body not stored').waitFor(WAIT);
    await expect(
      page.getByRole('region', { name: 'Request' }).getByText('Body not stored').count(),
    ).resolves.toBe(1);

    await page.goto(`${gw.url}/#/logs/nope?gateway=default`);
    await expect
      .poll(() => page.getByRole('alert').textContent(), WAIT)
      .toBe('Log "nope" not found in gateway "default"');
    await page.goto(`${gw.url}/#/logs?gateway=gone`);
    await expect.poll(() => page.getByRole('alert').textContent(), WAIT).toBe('Gateway "gone" not found');
    // The choice of gateway is offered once the gateway list (loaded apart from the logs) has arrived.
    const chosen = await until(
      () => page.getByRole('combobox', { name: 'Gateway' }).inputValue(),
      (v) => v === 'gone',
      { what: 'the Gateway select' },
    );
    expect(chosen).toBe('gone');
  });

  it('Refresh loads what arrived since; Live adds new entries without a reload, within the filters', async () => {
    await page.goto(`${gw.url}/#/logs?gateway=default`);
    await rowCount(26);
    const added = await chat('gpt-4o-mini');
    await gw.flushLogs();
    await listed(() => page.getByRole('button', { name: 'Refresh' }).click());
    await page.locator(`tr[data-log-id="${added}"]`).waitFor(WAIT);
    await rowCount(27);

    await page.evaluate(() => {
      (globalThis as unknown as { stillHere: boolean }).stillHere = true;
    });
    const live = page.getByRole('button', { name: 'Live' });
    await live.click();
    const on = await until(
      () => live.getAttribute('aria-pressed'),
      (v) => v === 'true',
      { what: 'Live' },
    );
    expect(on).toBe('true');
    await page.getByText('Live: following new entries').waitFor(WAIT);
    expect(new URL(page.url()).hash).toContain('live=1');
    const fresh = await chat('gpt-4o');
    await gw.flushLogs();
    const freshRow = page.locator(`tr[data-log-id="${fresh}"]`);
    await freshRow.waitFor(WAIT);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(fresh);
    await expect(freshRow.locator('td').nth(3).textContent()).resolves.toBe('gpt-4o');
    await expect(page.getByText('Page 1 of 1 · 28 logs').count()).resolves.toBe(1);

    // With a model filter the tail sends only matching entries.
    await filter('Model', 'gpt-4.1');
    await rowCount(2);
    await page.getByText('Live: following new entries').waitFor(WAIT);
    const other = await chat('gpt-4o-mini');
    const wanted = await chat('gpt-4.1');
    await gw.flushLogs();
    await page.locator(`tr[data-log-id="${wanted}"]`).waitFor(WAIT);
    await rowCount(3);
    await expect(page.locator(`tr[data-log-id="${other}"]`).count()).resolves.toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(
      true,
    );

    await live.click();
    const off = await until(
      () => live.getAttribute('aria-pressed'),
      (v) => v === 'false',
      { what: 'Live' },
    );
    expect(off).toBe('false');
    // The tail is closed (and its status cleared) after the page has rendered the button.
    await page.getByText('Live: following new entries').waitFor({ state: 'detached', ...WAIT });
    await expect(page.getByText('Live: following new entries').count()).resolves.toBe(0);
  });

  it('Live reconnects when its stream ends, and the list brings what was stored in between', async () => {
    await page.goto(`${gw.url}/#/logs?gateway=default&live=1`);
    await page.getByText('Live: following new entries').waitFor(WAIT);
    // What a gateway restart or a proxy that cuts idle streams does to the tail.
    gw.gatehouse.app.tail.endAll();
    await page.getByText('Live: the stream ended; reconnecting…').waitFor(WAIT);
    const between = await chat('gpt-4.1-nano');
    await gw.flushLogs();
    await page.getByText('Live: following new entries').waitFor(WAIT);
    await page.locator(`tr[data-log-id="${between}"]`).waitFor(WAIT);
    const after = await chat('gpt-4.1-mini');
    await gw.flushLogs();
    await page.locator(`tr[data-log-id="${after}"]`).waitFor(WAIT);
    await expect(rows().first().getAttribute('data-log-id')).resolves.toBe(after);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
  });

  it('a read-only token sees logs but is offered no feedback buttons', async () => {
    const made = await gw.api('POST', '/tokens', { name: 'viewer', permissions: ['read'] });
    expect(made.status).toBe(200);
    const context = await browser.newContext();
    const reader = await context.newPage();
    try {
      await signIn(reader, gw.url, made.json.result.value, `#/logs/${ids.plain}?gateway=default`);
      await reader.getByRole('heading', { name: 'Summary' }).waitFor(WAIT);
      await reader.getByRole('region', { name: 'Request' }).locator('pre.body').waitFor(WAIT);
      await expect(reader.getByRole('button', { name: 'Thumbs up' }).count()).resolves.toBe(0);
      await expect(reader.getByRole('button', { name: 'Thumbs down' }).count()).resolves.toBe(0);
      await expect(reader.getByRole('button', { name: 'Save score' }).count()).resolves.toBe(0);
      await expect(reader.getByLabel('Score (0–100)').count()).resolves.toBe(0);
      // A cached request's key is shown, but purging its entry takes edit.
      await reader.goto(`${gw.url}/#/logs/${ids.cached}?gateway=keyed`);
      await reader
        .getByRole('term')
        .filter({ hasText: /^Cache key$/ })
        .waitFor(WAIT);
      // It sees the entry (the MISS above stored it again), but purging it takes edit.
      await reader.locator('dl[aria-label="Cache entry"]').waitFor(WAIT);
      await expect(reader.getByRole('button', { name: 'Purge this entry' }).count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});
