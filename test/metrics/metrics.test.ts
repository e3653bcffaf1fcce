import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { GatewayMetrics } from '../../src/metrics/gateway-metrics.ts';
import { parseMetrics, scrapeMetrics } from '../helpers/prometheus.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const scrape = (token = ctx.gw.adminToken) => scrapeMetrics(ctx.gw.url, token);

async function chat(headers: Record<string, string> = {}) {
  const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await res.body.text();
}

describe('/metrics (Prometheus)', () => {
  it('counts requests, errors, tokens, cost and cache hits, with latency histograms', async () => {
    await chat({ 'cf-aig-cache-ttl': '600' });
    await chat({ 'cf-aig-cache-ttl': '600' }); // hit
    await chat({ 'x-mock-scenario': 'status=500' });
    const m = await scrape();
    const value = (family: string, labels: Record<string, string>) =>
      m
        .get(family)!
        .metrics.filter((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))
        .reduce((n, x) => n + Number(x.value), 0);
    expect(m.get('gatehouse_requests_total')!.type).toBe('COUNTER');
    expect(
      value('gatehouse_requests_total', { gateway: 'default', provider: 'openai', model: 'gpt-4o-mini' }),
    ).toBe(3);
    expect(value('gatehouse_requests_total', { status: '500' })).toBe(1);
    expect(value('gatehouse_errors_total', { provider: 'openai' })).toBe(1);
    expect(value('gatehouse_cache_hits_total', { gateway: 'default' })).toBe(1);
    expect(value('gatehouse_tokens_total', { direction: 'in' })).toBeGreaterThan(0);
    expect(value('gatehouse_cost_usd_total', { model: 'gpt-4o-mini' })).toBeGreaterThan(0);
    const upstream = m.get('gatehouse_upstream_duration_seconds')!;
    expect(upstream.type).toBe('HISTOGRAM');
    expect(Number(upstream.metrics[0]!.buckets!['+Inf'])).toBe(2); // the hit never went upstream
    expect(upstream.metrics[0]!).toMatchObject({ labels: { provider: 'openai' }, count: '2' });
    expect(Number(m.get('gatehouse_overhead_duration_seconds')!.metrics[0]!.buckets!['+Inf'])).toBe(3);
    // Both calls had a body (the 500's error included); the hit made no call.
    expect(m.get('gatehouse_upstream_first_byte_seconds')!.metrics).toEqual([
      expect.objectContaining({ labels: { provider: 'openai', stream: 'false' }, count: '2' }),
    ]);
    expect(m.get('gatehouse_log_queue_depth')!.type).toBe('GAUGE');
    const spilled = m.get('gatehouse_log_rows_spilled_total')!;
    expect(spilled.type).toBe('COUNTER');
    expect(spilled.metrics[0]!.value).toBe('0');
    const dropped = m.get('gatehouse_log_rows_dropped_total')!;
    expect(dropped.type).toBe('COUNTER');
    expect(dropped.metrics[0]!.value).toBe('0');
  });

  it("times the provider's first byte: a stream's first event, in the histogram and the log", async () => {
    // The first event after 150 ms, the next ones 100 ms apart: both bounds hold on any machine.
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'x-mock-scenario': 'slow-first-byte=150;frame-gap=100',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true, n: 'first-byte' }),
    });
    await res.body.text();
    const m = await scrape();
    const firstByte = m.get('gatehouse_upstream_first_byte_seconds')!;
    expect(firstByte.type).toBe('HISTOGRAM');
    const streams = firstByte.metrics.filter((x) => x.labels?.['stream'] === 'true');
    expect(streams).toHaveLength(1);
    expect(Number(streams[0]!.count)).toBe(1);
    expect(Number(streams[0]!.sum)).toBeGreaterThanOrEqual(0.15);
    await ctx.gw.flushLogs();
    const [log] = (await ctx.gw.api('GET', '/gateways/default/logs?per_page=1')).json.result;
    expect(log.upstream_first_byte).toBeGreaterThanOrEqual(150);
    expect(log.upstream_duration).toBeGreaterThanOrEqual(log.upstream_first_byte + 100);
  });

  it('the spilled- and dropped-rows counters read the log writer’s counts', () => {
    const metrics = new GatewayMetrics({ queueDepth: () => 3, spilled: () => 42, dropped: () => 7 });
    const byName = parseMetrics(metrics.expose());
    expect(byName.get('gatehouse_log_rows_spilled_total')!.metrics[0]!.value).toBe('42');
    expect(byName.get('gatehouse_log_rows_dropped_total')!.metrics[0]!.value).toBe('7');
    expect(byName.get('gatehouse_log_queue_depth')!.metrics[0]!.value).toBe('3');
  });

  it('counts a model name over 128 characters under model="(other)"', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model: `m-${'x'.repeat(200)}`, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await res.body.text();
    const requests = (await scrape()).get('gatehouse_requests_total')!.metrics;
    expect(requests.some((x) => x.labels?.['model'] === '(other)')).toBe(true);
    expect(requests.some((x) => (x.labels?.['model'] ?? '').startsWith('m-xxx'))).toBe(false);
  });

  it('counts requests to made-up providers under provider="(unknown)", one series for all', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await request(`${ctx.gw.gatewayUrl()}/made-up-${i}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"model":"m"}',
      });
      expect(res.statusCode).toBe(400);
      await res.body.text();
    }
    const m = await scrape();
    const requests = m.get('gatehouse_requests_total')!.metrics;
    const unknown = requests.filter((x) => x.labels?.['provider'] === '(unknown)');
    expect(unknown.map((x) => [x.labels?.['status'], Number(x.value)])).toEqual([['400', 20]]);
    for (const family of m.values()) {
      expect(family.metrics.some((x) => (x.labels?.['provider'] ?? '').startsWith('made-up'))).toBe(false);
    }
  });

  it('takes a token', async () => {
    expect((await fetch(`${ctx.gw.url}/metrics`)).status).toBe(401);
    const run = await ctx.gw.gatehouse.app.tokens.create('local', {
      name: 'runner',
      permissions: ['run'],
      gateways: null,
    });
    expect(
      (await fetch(`${ctx.gw.url}/metrics`, { headers: { authorization: `Bearer ${run.value}` } })).status,
    ).toBe(401);
    const reader = await ctx.gw.gatehouse.app.tokens.create('local', {
      name: 'prom',
      permissions: ['read'],
      gateways: null,
    });
    await scrape(reader.value);
  });

  it('counts each attempt once, also when every universal step fails', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'allfail', { ...DEFAULT_SETTINGS });
    const step = {
      provider: 'openai',
      endpoint: 'chat/completions',
      headers: { 'x-mock-scenario': 'reset' },
      query: {},
    };
    const res = await request(ctx.gw.gatewayUrl('allfail'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([step, step]),
    });
    expect(res.statusCode).toBe(502);
    await res.body.text();
    const m = await scrape();
    const attempts = m
      .get('gatehouse_requests_total')!
      .metrics.filter((x) => x.labels?.['gateway'] === 'allfail')
      .reduce((n, x) => n + Number(x.value), 0);
    expect(attempts).toBe(2);
  });
});
