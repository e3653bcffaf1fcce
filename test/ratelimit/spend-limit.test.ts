import { request } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../src/gateways/schema.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

async function gateway(
  id: string,
  spend: GatewaySettings['spend_limits'],
  extra: Partial<GatewaySettings> = {},
) {
  await ctx.gw.gatehouse.app.gateways.create('local', id, {
    ...DEFAULT_SETTINGS,
    spend_limits: spend,
    ...extra,
  });
}

async function chat(
  gatewayId: string,
  opts: { cost?: number; model?: string; user?: string; content?: string } = {},
) {
  const res = await request(`${ctx.gw.gatewayUrl(gatewayId)}/openai/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk',
      ...(opts.cost !== undefined ? { 'cf-aig-custom-cost': JSON.stringify({ total_cost: opts.cost }) } : {}),
      ...(opts.user ? { 'cf-aig-metadata': JSON.stringify({ user: opts.user }) } : {}),
    },
    body: JSON.stringify({
      model: opts.model ?? 'gpt-4o-mini',
      messages: [{ role: 'user', content: opts.content ?? 'hi' }],
    }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: () => JSON.parse(text) };
}

describe('spend limits (spend_limits)', () => {
  it('refuses requests once the budget is spent: 429 / 2041 naming the rule', async () => {
    await gateway('budget', { rules: [{ id: 'r1', limit: 1, limitType: 'cost', window: 3600 }] });
    expect((await chat('budget', { cost: 0.6 })).status).toBe(200);
    expect((await chat('budget', { cost: 0.6 })).status).toBe(200); // 0.6 spent < 1 when checked
    const refused = await chat('budget', { cost: 0.6 });
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({ name: 'AiGatewayError', internalCode: 2041, httpCode: 429 });
    expect(refused.json().message).toBe(
      "Spend limit exceeded: rule 'r1' (cost limit 1 per 3600s, sliding) for openai gpt-4o-mini",
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('a filter rule covers only its models', async () => {
    await gateway('filtered', {
      rules: [
        {
          id: 'big-models',
          limit: 0.5,
          limitType: 'cost',
          window: 3600,
          model: { mode: 'filter', values: ['gpt-4o'] },
        },
      ],
    });
    expect((await chat('filtered', { model: 'gpt-4o', cost: 1 })).status).toBe(200);
    expect((await chat('filtered', { model: 'gpt-4o' })).status).toBe(429);
    expect((await chat('filtered', { model: 'gpt-4o-mini', cost: 1 })).status).toBe(200);
    expect((await chat('filtered', { model: 'gpt-4o-mini' })).status).toBe(200);
  });

  it('a partition rule gives each metadata value its own budget', async () => {
    await gateway('per-user', {
      rules: [
        {
          id: 'per-user',
          limit: 1,
          limitType: 'cost',
          window: 3600,
          metadata: { user: { mode: 'partition' } },
        },
      ],
    });
    expect((await chat('per-user', { user: 'alice', cost: 2 })).status).toBe(200);
    expect((await chat('per-user', { user: 'alice' })).status).toBe(429);
    expect((await chat('per-user', { user: 'bob' })).status).toBe(200);
    expect((await chat('per-user', {})).status).toBe(200); // no user: the rule does not apply
  });

  it('prices requests from the price table when no custom cost is given, and cache hits cost nothing', async () => {
    await gateway(
      'priced',
      { rules: [{ id: 'tiny', limit: 0.000_001, limitType: 'cost', window: 3600 }] },
      { cache_ttl: 300 },
    );
    expect((await chat('priced', { content: 'same' })).status).toBe(200); // gpt-4o-mini, priced by the table
    await ctx.gw.flushLogs();
    const logs = await ctx.gw.api('GET', '/gateways/priced/logs');
    expect(logs.json.result[0].cost).toBeGreaterThan(0.000_001);
    expect(logs.json.result[0].custom_cost).toBe(false);
    const hit = await chat('priced', { content: 'same' });
    expect(hit.status).toBe(200);
    expect(hit.headers['cf-aig-cache-status']).toBe('HIT');
    expect((await chat('priced', { content: 'new' })).status).toBe(429);
  });

  it('a disabled rule, or disabled spend limits, refuse nothing', async () => {
    await gateway('off', { enabled: false, rules: [{ id: 'x', limit: 0.1, limitType: 'cost', window: 60 }] });
    await gateway('rule-off', {
      rules: [{ id: 'x', enabled: false, limit: 0.1, limitType: 'cost', window: 60 }],
    });
    for (const id of ['off', 'rule-off']) {
      expect((await chat(id, { cost: 5 })).status).toBe(200);
      expect((await chat(id, { cost: 5 })).status).toBe(200);
    }
  });
});

describe('requests with no cost to charge', () => {
  it('pass, and the process log says once why they were not charged: no price, or no token counts', async () => {
    // A gateway of its own, to read its process log.
    const warnings: string[] = [];
    const gw = await startGatehouse(
      { GATEHOUSE_UPSTREAM_OPENAI: `${ctx.mock.url}/v1` },
      { log: (level, message) => level === 'warn' && warnings.push(message) },
    );
    const report = vi.spyOn(gw.gatehouse.app, 'unchargedSpend');
    try {
      await gw.gatehouse.app.gateways.create('local', 'unpriced', {
        ...DEFAULT_SETTINGS,
        spend_limits: { rules: [{ id: 'team', limit: 0.000001, limitType: 'cost', window: 3600 }] },
      });
      const send = async (body: object, headers: Record<string, string> = {}) => {
        const res = await request(`${gw.gatewayUrl('unpriced')}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk', ...headers },
          body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
        });
        await res.body.text();
        return res.statusCode;
      };
      // A model the price table does not know: a budget of a millionth of a dollar never fills.
      for (let i = 0; i < 3; i++) expect(await send({ model: 'ft:gpt-4o-mini:acme::abc', n: i })).toBe(200);
      const noPrice =
        "spend limits: a request to openai ft:gpt-4o-mini:acme::abc on gateway unpriced was not charged to rule 'team': the price table has no price for it and no cf-aig-custom-cost was sent (add a price with pricing.file; `gatehouse prices openai` lists the known models)";
      expect(report.mock.calls.map(([m]) => m)).toEqual([noPrice, noPrice, noPrice]);
      // Said at once, then at most every 10 minutes: one warning for the three.
      expect(warnings.filter((w) => w.startsWith('spend limits:'))).toEqual([noPrice]);
      // A priced model's stream without usage (no stream_options.include_usage), with a per-token custom cost.
      const perToken = { 'cf-aig-custom-cost': '{"per_token_in":0.001,"per_token_out":0.002}' };
      expect(await send({ model: 'gpt-4o-mini', stream: true }, perToken)).toBe(200);
      expect(report.mock.calls[3]![0]).toMatch(
        /gpt-4o-mini .*: its cf-aig-custom-cost is per token, and its answer carried no token counts$/,
      );
      expect(await send({ model: 'gpt-4o-mini', stream: true })).toBe(200);
      expect(report.mock.calls[4]![0]).toMatch(
        /: its answer carried no token counts, and no cf-aig-custom-cost was sent$/,
      );
      // A priced answer with usage is charged as before, and the budget then refuses.
      expect(await send({ model: 'gpt-4o-mini' })).toBe(200);
      expect(await send({ model: 'gpt-4o-mini', n: 2 })).toBe(429);
      expect(report).toHaveBeenCalledTimes(5);
      // And counted, for an alert.
      const metrics = await scrapeMetrics(gw.url, gw.adminToken);
      expect(metrics.get('gatehouse_spend_uncharged_total')!.metrics).toEqual([
        { labels: { gateway: 'unpriced' }, value: '5' },
      ]);
    } finally {
      await gw.close();
    }
  });
});

describe('costs in the log', () => {
  it('a table price, a custom cost (marked custom), a cache hit at 0, an unknown model at null', async () => {
    await gateway('costs', null, { cache_ttl: 300 });
    await chat('costs', { content: 'a' });
    await chat('costs', { content: 'a' }); // hit
    await chat('costs', { content: 'b', cost: 0.25 });
    await chat('costs', { content: 'c', model: 'ft:gpt-4o-mini:acme::abc' });
    await ctx.gw.flushLogs();
    const rows = (await ctx.gw.api('GET', '/gateways/costs/logs')).json.result.reverse();
    expect(rows.map((r: any) => [r.cached, r.custom_cost])).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [false, false],
    ]);
    expect(rows[0].cost).toBeGreaterThan(0);
    expect(rows[1].cost).toBe(0);
    expect(rows[2].cost).toBe(0.25);
    expect(rows[3].cost).toBeNull();
  });
});
