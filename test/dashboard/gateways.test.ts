import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_SLUGS } from '../../src/providers/registry.ts';
import { ensureDashboardBuilt, launchBrowser, SKIP_BROWSER, screenshot, signIn } from '../helpers/browser.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

describe.skipIf(SKIP_BROWSER)('dashboard: gateways, provider keys, custom providers, tokens', () => {
  let gw: TestGateway;
  let mock: MockUpstream;
  let browser: Browser;
  let page: Page;
  /** The read-only token made through the Tokens form; signs in at the end. */
  let readToken = '';

  const chat = () =>
    fetch(`${gw.gatewayUrl('shop')}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    });
  const stored = async (id: string) => (await gw.api('GET', `/gateways/${id}`)).json.result;
  const section = (name: string) => page.getByRole('region', { name, exact: true });
  /** Saves the form and waits for this save's answer, not a "Saved." left from an earlier one. */
  const save = async () => {
    const answered = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && /\/gateways\/[^/?]+$/.test(new URL(r.url()).pathname),
    );
    answered.catch(() => {}); // reported below, unless the click failed first
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect((await answered).status()).toBe(200);
    await page.getByText('Saved.').waitFor();
  };

  beforeAll(async () => {
    ensureDashboardBuilt();
    ({ gw, mock } = await startWithMock());
    browser = await launchBrowser();
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await mock?.close();
  });

  it('creates a gateway from the form, and shows the server’s refusal of a duplicate', async () => {
    await signIn(page, gw.url, gw.adminToken, '#/gateways');
    const form = page.getByRole('form', { name: 'Create a gateway' });
    await form.getByLabel('Gateway id').fill('shop');
    await form.getByRole('button', { name: 'Create gateway' }).click();
    await page.getByRole('heading', { name: 'Gateway shop' }).waitFor();
    expect(page.url()).toContain('#/gateways/shop');
    expect(await stored('shop')).toMatchObject({
      id: 'shop',
      cache_ttl: 0,
      collect_logs: true,
      authentication: false,
    });

    await page.getByRole('link', { name: '← Gateways' }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    await form.getByLabel('Gateway id').fill('shop');
    await form.getByRole('button', { name: 'Create gateway' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toContain('Gateway "shop" already exists');
  });

  it('saves a cache TTL that the data plane then uses', async () => {
    await page.goto(`${gw.url}/#/gateways/shop`);
    const ttl = section('Caching').getByLabel('Cache TTL (seconds)');
    await expect(ttl.inputValue()).resolves.toBe('0');
    await ttl.fill('300');
    await save();
    expect((await stored('shop')).cache_ttl).toBe(300);

    const first = await chat();
    const firstBody = await first.json();
    expect(first.status).toBe(200);
    expect(first.headers.get('cf-aig-cache-status')).toBe('MISS');
    const second = await chat();
    expect(second.headers.get('cf-aig-cache-status')).toBe('HIT');
    expect(await second.json()).toEqual(firstBody);
  });

  it('a value the server refuses shows its message, keeps the input and stores nothing', async () => {
    const ttl = section('Caching').getByLabel('Cache TTL (seconds)');
    await ttl.fill('-5');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.locator('.savebar').getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('cache_ttl');
    await expect(ttl.inputValue()).resolves.toBe('-5');
    expect((await stored('shop')).cache_ttl).toBe(300);
    await ttl.fill('300');
  });

  it('every section of the form is sent and stored, and shown again after a reload', async () => {
    await section('Caching').getByLabel('Purge the cache when these settings are saved').check();

    const limits = section('Rate limits');
    await limits.getByLabel('Requests per interval').fill('100');
    await limits.getByLabel('Interval (seconds)').first().fill('60');
    await limits.getByLabel('Technique').first().selectOption('sliding');
    await limits.getByRole('button', { name: 'Add rate limit rule' }).click();
    const rule = limits.getByRole('group', { name: 'Rate limit rule 1' });
    await rule.getByLabel('Rule id').fill('per-user');
    await rule.getByLabel('Metadata key').fill('user');
    await rule.getByLabel('Limit').fill('20');
    await rule.getByLabel('Unit').selectOption('tokens');

    const spend = section('Spend limits');
    await spend.getByRole('button', { name: 'Add spend rule' }).click();
    const spendRule = spend.getByRole('group', { name: 'Spend rule 1' });
    await spendRule.getByLabel('Rule id').fill('team');
    await spendRule.getByLabel('Budget (USD)').fill('5');
    await spendRule.getByLabel('Window (seconds)').fill('3600');
    await spendRule.getByRole('button', { name: 'Narrow spend rule 1' }).click();
    await spendRule.getByLabel('Values', { exact: true }).fill('openai, anthropic');

    const logging = section('Logging and retention');
    await logging.getByLabel('Keep at most (logs)').fill('1000');
    await logging.getByLabel('When the cap is reached').selectOption('STOP_INSERTING');
    await logging.getByLabel('Zero data retention (zdr)').check();
    await logging.getByLabel('Log classification').check();
    await logging.getByLabel('Logpush', { exact: true }).check();
    await logging.getByLabel('Logpush public key').fill('pk-1');

    const auth = section('Authentication');
    await auth.getByLabel('Require a gateway token (authentication)').check();
    await auth.getByLabel('Use stored provider keys only (byok_only)').check();

    const retries = section('Retries');
    await retries.getByLabel('Max attempts').fill('3');
    await retries.getByLabel('Delay (ms)').fill('200');
    await retries.getByLabel('Backoff').selectOption('exponential');

    const otel = section('OpenTelemetry');
    await otel.getByRole('button', { name: 'Add exporter' }).click();
    const exporter = otel.getByRole('group', { name: 'Exporter 1' });
    await exporter.getByLabel('Collector URL').fill('https://otel.example/v1/traces');
    await exporter.getByLabel('Headers').fill('x-team: search');
    await exporter.getByLabel('Authorization').fill('Bearer collector-secret');
    await exporter.getByLabel('Content type').selectOption('json');
    await exporter.getByLabel('Compression').selectOption('gzip');

    await page.getByLabel('S1 on prompts').selectOption('BLOCK');
    await page.getByLabel('P1 on responses').selectOption('FLAG');
    const other = section('Data loss prevention, billing and storage');
    await other.getByLabel('DLP (JSON)').fill('{"enabled": true, "action": "FLAG", "profiles": ["pii"]}');
    await other.getByLabel('Store id').fill('store-1');
    await other.getByLabel('Workers AI billing mode').selectOption('unified');
    await save();

    expect(await stored('shop')).toMatchObject({
      cache_ttl: 300,
      cache_invalidate_on_update: true,
      rate_limiting_limit: 100,
      rate_limiting_interval: 60,
      rate_limiting_technique: 'sliding',
      rate_limits: [{ id: 'per-user', key: 'metadata.user', limit: 20, interval: 60, unit: 'tokens' }],
      spend_limits: {
        rules: [
          {
            id: 'team',
            limit: 5,
            limitType: 'cost',
            window: 3600,
            provider: { mode: 'filter', values: ['openai', 'anthropic'] },
          },
        ],
      },
      collect_logs: true,
      log_management: 1000,
      log_management_strategy: 'STOP_INSERTING',
      zdr: true,
      log_classification: true,
      logpush: true,
      logpush_public_key: 'pk-1',
      authentication: true,
      byok_only: true,
      retry_max_attempts: 3,
      retry_delay: 200,
      retry_backoff: 'exponential',
      // Credentials for the collector are write-only: the API shows them redacted.
      otel: [
        {
          url: 'https://otel.example/v1/traces',
          headers: { 'x-team': '[redacted]' },
          authorization: '[redacted]',
          content_type: 'json',
          compression: 'gzip',
        },
      ],
      guardrails: { prompt: { S1: 'BLOCK' }, response: { P1: 'FLAG' } },
      dlp: { enabled: true, action: 'FLAG', profiles: ['pii'] },
      store_id: 'store-1',
      workers_ai_billing_mode: 'unified',
    });

    await page.reload();
    await expect(
      page.getByRole('group', { name: 'Rate limit rule 1' }).getByLabel('Limit').inputValue(),
    ).resolves.toBe('20');
    await expect(
      page.getByRole('group', { name: 'Spend rule 1' }).getByLabel('Values', { exact: true }).inputValue(),
    ).resolves.toBe('openai, anthropic');
    await expect(page.getByLabel('S1 on prompts').inputValue()).resolves.toBe('BLOCK');
    await expect(section('Retries').getByLabel('Backoff').inputValue()).resolves.toBe('exponential');
    await screenshot(page, 'dashboard-gateway-settings');
    // Saving the form as it was read keeps the stored credentials, not the placeholder.
    await save();
    expect(gw.gatehouse.app.gateways.get('local', 'shop')!.settings.otel).toMatchObject([
      { headers: { 'x-team': 'search' }, authorization: 'Bearer collector-secret' },
    ]);

    // Removing rules clears them; what the form did not touch stays as stored.
    await page.getByRole('button', { name: 'Remove rule 1' }).click();
    await page.getByRole('button', { name: 'Remove narrowing 1' }).click();
    await page.getByRole('button', { name: 'Remove exporter 1' }).click();
    await save();
    let after = await stored('shop');
    expect(after.rate_limits).toBeNull();
    expect(after.otel).toBeNull();
    expect(after.spend_limits.rules[0]).toEqual({ id: 'team', limit: 5, limitType: 'cost', window: 3600 });
    expect(after).toMatchObject({ retry_max_attempts: 3, authentication: true, store_id: 'store-1' });

    await page.getByRole('button', { name: 'Remove spend rule 1' }).click();
    await section('Authentication').getByLabel('Use stored provider keys only (byok_only)').uncheck();
    await save();
    after = await stored('shop');
    expect(after.spend_limits).toEqual({ rules: [] });
    expect(after.byok_only).toBe(false);
  });

  it('adds a custom provider (the server’s base_url rule shown first) and deletes one', async () => {
    await page.goto(`${gw.url}/#/gateways`);
    const form = page.getByRole('form', { name: 'Add a custom provider' });
    await form.getByLabel('Name').fill('vLLM');
    await form.getByLabel('Slug').fill('vllm');
    await form.getByLabel('Base URL').fill('http://llm.internal/v1');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toContain(
      'base_url must start with https://',
    );
    await form.getByLabel('Base URL').fill('https://llm.internal/v1');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.getByText('Added vLLM: call it as custom-vllm.').waitFor();
    await page.getByRole('cell', { name: 'custom-vllm', exact: true }).waitFor();

    await form.getByLabel('Name').fill('Scratch');
    await form.getByLabel('Slug').fill('scratch');
    await form.getByLabel('Base URL').fill('https://scratch.example');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await page.getByRole('button', { name: 'Delete custom provider Scratch' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete provider' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'custom-scratch', exact: true }).waitFor({ state: 'detached' });

    const list = (await gw.api('GET', '/custom-providers')).json.result;
    expect(list.map((p: { slug: string }) => p.slug)).toEqual(['vllm']);
    expect(list[0].base_url).toBe('https://llm.internal/v1');
  });

  it('stores a provider key without ever showing it back, and deletes it after a confirmation', async () => {
    const secret = 'sk-stored-secret-0123456789abcdef';
    await page.goto(`${gw.url}/#/gateways/shop`);
    const form = page.getByRole('form', { name: 'Add a provider key' });
    // The custom provider joins the built-in ones once the account's list has loaded.
    await form.locator('option[value="custom-vllm"]').waitFor({ state: 'attached' });
    const offered = await form
      .getByLabel('Provider')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as any).value as string));
    expect(offered).toEqual([...PROVIDER_SLUGS, 'custom-vllm']);
    await form.getByLabel('Provider').selectOption('openai');
    await form.getByLabel('Alias').fill('prod');
    await form.getByLabel('Key', { exact: true }).fill(secret);
    await form.getByLabel('Make it the default key').check();
    await form.getByRole('button', { name: 'Add key' }).click();
    await form.getByText('Stored the openai key "prod".').waitFor();
    await expect(form.getByLabel('Key', { exact: true }).inputValue()).resolves.toBe('');
    expect(await page.content()).not.toContain(secret);

    const keys = (await gw.api('GET', '/gateways/shop/provider_configs')).json.result;
    expect(keys).toMatchObject([
      { provider_slug: 'openai', alias: 'prod', gateway_id: 'shop', default_config: true },
    ]);
    // The list is reloaded after the key is stored.
    await page.getByRole('cell', { name: keys[0].secret_preview }).first().waitFor();
    await expect(page.getByRole('cell', { name: keys[0].secret_preview }).count()).resolves.toBe(1);

    // Escape closes the confirmation and deletes nothing.
    await page.getByRole('button', { name: 'Delete the openai key prod' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect((await gw.api('GET', '/gateways/shop/provider_configs')).json.result).toHaveLength(1);

    await page.getByRole('button', { name: 'Delete the openai key prod' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete key' }).click();
    await page.getByText('No stored keys.').waitFor();
    expect((await gw.api('GET', '/gateways/shop/provider_configs')).json.result).toEqual([]);
  });

  it('creates a token whose value is shown once, with a working Copy button; revokes another', async () => {
    await page.goto(`${gw.url}/#/gateways`);
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Name').fill('viewer');
    await form.getByLabel(/^run/).uncheck();
    await form.getByLabel(/^read/).check();
    await form.getByLabel('Only these gateways').fill('shop');
    await form.getByRole('button', { name: 'Create token' }).click();

    const shown = page.getByRole('region', { name: 'New token' });
    readToken = await shown.getByLabel('Token value').inputValue();
    expect(readToken.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(readToken);

    const verify = await fetch(`${gw.url}/client/v4/user/tokens/verify`, {
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(((await verify.json()) as any).result).toMatchObject({
      name: 'viewer',
      permissions: ['read'],
      gateways: ['shop'],
    });

    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(readToken);
    await page.reload();
    await page.getByRole('cell', { name: 'viewer', exact: true }).waitFor();
    expect(await page.content()).not.toContain(readToken);
    const row = page.getByRole('row').filter({ hasText: 'viewer' });
    await expect(row.textContent()).resolves.toContain(readToken.slice(0, 8));

    await gw.api('POST', '/tokens', { name: 'old-ci', permissions: ['run'] });
    await page.reload();
    await page.getByRole('button', { name: 'Revoke token old-ci' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('cell', { name: 'old-ci', exact: true }).waitFor({ state: 'detached' });
    const names = (await gw.api('GET', '/tokens')).json.result.map((t: { name: string }) => t.name);
    expect(names).toEqual(['viewer']);
  });

  it('deletes a gateway only once its id is typed; Escape cancels', async () => {
    await gw.api('POST', '/gateways', {
      id: 'temp',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
    });
    await page.goto(`${gw.url}/#/gateways/temp`);
    // Keys are refused on an open gateway, so none can be added here.
    await page.getByText('Keys are stored only on an authenticated gateway').waitFor();
    await expect(page.getByRole('button', { name: 'Add key' }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Delete gateway' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete gateway' });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await gw.api('GET', '/gateways/temp')).status).toBe(200);

    await page.getByRole('button', { name: 'Delete gateway' }).click();
    await dialog.getByLabel('Type temp to confirm').fill('tem');
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel('Type temp to confirm').fill('temp');
    await confirm.click();
    await page.getByRole('heading', { name: 'Gateways', exact: true }).waitFor();
    expect((await gw.api('GET', '/gateways/temp')).status).toBe(404);
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    await expect(page.getByRole('link', { name: 'temp', exact: true }).count()).resolves.toBe(0);
  });

  it('the list summarises each gateway, pages through many and searches by id', async () => {
    await page.goto(`${gw.url}/#/gateways`);
    const form = page.getByRole('form', { name: 'Create a gateway' });
    await form.getByLabel('Gateway id').fill('edge');
    await form.getByLabel('Cache TTL (seconds)').fill('120');
    await form.getByLabel('Requests per interval').fill('10');
    await form.getByLabel('Interval (seconds)').fill('60');
    await form.getByLabel('Technique').selectOption('sliding');
    await form.getByLabel('Collect logs').uncheck();
    await form.getByLabel('Require a gateway token').check();
    await form.getByRole('button', { name: 'Create gateway' }).click();
    await page.getByRole('heading', { name: 'Gateway edge' }).waitFor();
    expect(await stored('edge')).toMatchObject({
      cache_ttl: 120,
      rate_limiting_limit: 10,
      rate_limiting_interval: 60,
      rate_limiting_technique: 'sliding',
      collect_logs: false,
      authentication: true,
    });

    for (let i = 0; i < 50; i++) {
      const id = `bulk-${String(i).padStart(2, '0')}`;
      const made = await gw.api('POST', '/gateways', {
        id,
        cache_ttl: 0,
        cache_invalidate_on_update: false,
        collect_logs: true,
        rate_limiting_interval: 0,
        rate_limiting_limit: 0,
      });
      expect(made.status).toBe(200);
    }
    await page.goto(`${gw.url}/#/gateways`);
    const pager = page.getByRole('navigation', { name: 'Gateway pages' });
    await pager.getByText('Page 1 of 2').waitFor();
    await page.getByRole('link', { name: 'bulk-00', exact: true }).waitFor();
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('Page 2 of 2').waitFor();
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    await expect(page.getByRole('link', { name: 'bulk-00', exact: true }).count()).resolves.toBe(0);

    await page.getByLabel('Search').fill('edg');
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'edge', exact: true }) });
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['2 min', '10 / 1 min sliding', 'off', 'token']);
    await expect(page.getByRole('link', { name: /^bulk-/ }).count()).resolves.toBe(0);
    await screenshot(page, 'dashboard-gateways');
  });

  it('a read-only token sees the values but no inputs it could use and no buttons', async () => {
    expect(readToken).not.toBe('');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, gw.url, readToken, '#/gateways/shop');
    const ttl = section('Caching').getByLabel('Cache TTL (seconds)');
    await expect(ttl.inputValue()).resolves.toBe('300');
    await expect(ttl.isDisabled()).resolves.toBe(true);
    await page.getByText('Read-only: this token may see').waitFor();
    // The keys load after the settings: wait for them before checking what is not offered.
    await page.getByText('No stored keys.').waitFor();
    const enabledControls = await page
      .locator('main input:enabled, main select:enabled, main textarea:enabled')
      .count();
    expect(enabledControls).toBe(0);
    for (const name of ['Save', 'Delete gateway', 'Add key', 'Add rate limit rule', 'Add exporter']) {
      await expect(page.getByRole('button', { name }).count()).resolves.toBe(0);
    }

    await page.goto(`${gw.url}/#/gateways`);
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'custom-vllm', exact: true }).waitFor();
    await expect(page.getByRole('form', { name: 'Create a gateway' }).count()).resolves.toBe(0);
    await expect(page.getByRole('heading', { name: 'Tokens' }).count()).resolves.toBe(0);
    await expect(page.getByRole('form', { name: 'Add a custom provider' }).count()).resolves.toBe(0);
    await expect(page.locator('main button').count()).resolves.toBe(0);
  });
});
