import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPriceTable } from '../../src/costs/prices.ts';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { DATABASES } from '../helpers/databases.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`analytics API on ${database.name}`, () => {
    const env: Record<string, string> = {};
    beforeAll(async () => {
      Object.assign(env, await database.env());
    });
    const ctx = useGatewayWithMock(env);
    const since = Date.now() - 1000;

    async function send(path: string, model: string, headers: Record<string, string> = {}) {
      const res = await request(`${ctx.gw.gatewayUrl()}/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk',
          'x-api-key': 'k',
          ...headers,
        },
        body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'Hello' }] }),
      });
      await res.body.text();
    }

    beforeAll(async () => {
      // Values of every kind a metadata entry takes, to group by.
      for (const metadata of [
        '{"team":"a","tier":3,"plan name":"pro"}',
        '{"team":"a","tier":3,"plan name":"pro"}',
        '{"team":"a","tier":1.5,"vip":true}',
      ])
        await send('openai/chat/completions', 'gpt-4o-mini', { 'cf-aig-metadata': metadata });
      await send('openai/chat/completions', 'gpt-4o', {
        'cf-aig-metadata': '{"team":"b"}',
        'cf-aig-cache-ttl': '600',
      });
      await send('openai/chat/completions', 'gpt-4o', {
        'cf-aig-metadata': '{"team":"b"}',
        'cf-aig-cache-ttl': '600',
      });
      await send('anthropic/v1/messages', 'claude-sonnet-4-5');
      await send('openai/chat/completions', 'gpt-4o', { 'x-mock-scenario': 'status=500' });
    });

    const get = async (query: string) => {
      const r = await ctx.gw.api('GET', `/analytics?start=${since}&${query}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.result;
    };
    const sum = (points: Array<Record<string, number>>, k: string) =>
      points.reduce((n, p) => n + (p[k] ?? 0), 0);

    it('sums that match the logs', async () => {
      const result = await get('bucket=minute');
      expect(result.series).toHaveLength(1);
      const points = result.series[0].points;
      await ctx.gw.flushLogs();
      const logs = (await ctx.gw.api('GET', '/gateways/default/logs?per_page=100')).json.result as Array<
        Record<string, any>
      >;
      expect(sum(points, 'requests')).toBe(logs.length);
      expect(sum(points, 'requests')).toBe(7);
      expect(sum(points, 'errors')).toBe(logs.filter((l) => !l['success']).length);
      expect(sum(points, 'cached')).toBe(1);
      expect(sum(points, 'tokens_in')).toBe(logs.reduce((n, l) => n + (l['tokens_in'] ?? 0), 0));
      expect(sum(points, 'tokens_out')).toBe(logs.reduce((n, l) => n + (l['tokens_out'] ?? 0), 0));
      expect(sum(points, 'cost')).toBeCloseTo(
        logs.reduce((n, l) => n + (l['cost'] ?? 0), 0),
        12,
      );
      const totals = result.series[0].totals;
      for (const k of ['requests', 'errors', 'cached', 'tokens_in', 'tokens_out', 'cost', 'saved_cost']) {
        expect(totals[k], k).toBeCloseTo(sum(points, k), 12);
      }
      // The range's percentiles are over every request, within the histogram's steps of the logs'.
      const durations = logs.map((l) => l['duration'] as number).sort((a, b) => a - b);
      const rank = (p: number) => durations[Math.ceil(p * durations.length) - 1]!;
      const step = (v: number) => (v < 100 ? 1 : v < 1000 ? 10 : v < 10_000 ? 100 : 1000);
      for (const [k, p] of [
        ['latency_p50', 0.5],
        ['latency_p99', 0.99],
      ] as const) {
        expect(totals[k]).toBeLessThanOrEqual(rank(p));
        expect(totals[k]).toBeGreaterThan(rank(p) - step(rank(p)));
      }
      const busy = points.filter((p: Record<string, number | null>) => (p['requests'] as number) > 0);
      for (const p of busy) {
        expect(p.latency_p50).not.toBeNull();
        expect(p.latency_p99).toBeGreaterThanOrEqual(p.latency_p50);
      }
    });

    it('saved_cost is what the price table gives for the cache hit’s tokens; the hit itself costs 0', async () => {
      await ctx.gw.flushLogs();
      const logs = (await ctx.gw.api('GET', '/gateways/default/logs?per_page=100')).json.result as Array<
        Record<string, any>
      >;
      const hits = logs.filter((l) => l['cached']);
      expect(hits).toHaveLength(1);
      const hit = hits[0]!;
      expect(hit['cost']).toBe(0);
      // A hit makes no provider call; every other row (the 500 included) made one, within its duration.
      expect(hit['upstream_duration']).toBeNull();
      expect(hit['upstream_first_byte']).toBeNull();
      for (const l of logs.filter((x) => !x['cached'])) {
        expect(typeof l['upstream_duration']).toBe('number');
        expect(l['upstream_duration']).toBeGreaterThanOrEqual(0);
        expect(l['upstream_duration']).toBeLessThanOrEqual(l['duration']);
      }
      expect(hit['tokens_in']).toBeGreaterThan(0);
      const price = loadPriceTable().lookup('openai', 'gpt-4o')!.entry;
      const expected = (hit['tokens_in'] * price.input + hit['tokens_out'] * price.output) / 1e6;
      expect(expected).toBeGreaterThan(0);
      const result = await get('bucket=minute');
      expect(sum(result.series[0].points, 'saved_cost')).toBeCloseTo(expected, 12);
      // Grouped, the savings belong to the model that was cached and to no other.
      const byModel = await get('bucket=hour&group_by=model');
      const saved = Object.fromEntries(
        byModel.series.map((s: { group: string; points: Array<Record<string, number>> }) => [
          s.group,
          sum(s.points, 'saved_cost'),
        ]),
      );
      expect(saved['gpt-4o']).toBeCloseTo(expected, 12);
      expect(saved['gpt-4o-mini']).toBe(0);
      const byTeam = await get('bucket=hour&group_by=metadata.team');
      const team = byTeam.series.find((s: { group: string | null }) => s.group === 'b');
      expect(sum(team.points, 'saved_cost')).toBeCloseTo(expected, 12);
      expect(team.totals.saved_cost).toBeCloseTo(expected, 12);
      expect(team.totals.requests).toBe(2);
    });

    it('groups by provider, model and a metadata key', async () => {
      const byProvider = await get('bucket=hour&group_by=provider');
      const counts = Object.fromEntries(
        byProvider.series.map((s: { group: string; points: Array<Record<string, number>> }) => [
          s.group,
          sum(s.points, 'requests'),
        ]),
      );
      expect(counts).toEqual({ openai: 6, anthropic: 1 });
      const byTeam = await get('bucket=hour&group_by=metadata.team');
      const teams = Object.fromEntries(
        byTeam.series.map((s: { group: string | null; points: Array<Record<string, number>> }) => [
          String(s.group),
          sum(s.points, 'requests'),
        ]),
      );
      expect(teams).toEqual({ a: 3, b: 2, null: 2 });
      // Numbers and booleans group under their text, a key may hold a space.
      const byKey = async (key: string) =>
        Object.fromEntries(
          (await get(`bucket=hour&group_by=${encodeURIComponent(`metadata.${key}`)}`)).series.map(
            (s: { group: string | null; totals: { requests: number } }) => [
              String(s.group),
              s.totals.requests,
            ],
          ),
        );
      expect(await byKey('tier')).toEqual({ '3': 2, '1.5': 1, null: 4 });
      expect(await byKey('vip')).toEqual({ true: 1, null: 6 });
      expect(await byKey('plan name')).toEqual({ pro: 2, null: 5 });
      for (const key of ['a"b', 'a\\b', 'a.b']) {
        const r = await ctx.gw.api('GET', `/analytics?group_by=${encodeURIComponent(`metadata.${key}`)}`);
        expect(r.status, key).toBe(400);
        expect(r.json.errors[0].message).toMatch(/without \. " or \\/);
      }
      // A key no log has, even one every JS object has, groups every log under null.
      for (const key of ['constructor', 'toString', '__proto__']) {
        const r = await get(`bucket=hour&group_by=metadata.${key}`);
        expect(
          r.series.map((s: { group: string | null }) => s.group),
          key,
        ).toEqual([null]);
      }
      const byModel = await get('bucket=day&group_by=model');
      // Ties (3 and 3) are ordered by name.
      expect(byModel.series.map((x: { group: string }) => x.group)).toEqual([
        'gpt-4o',
        'gpt-4o-mini',
        'claude-sonnet-4-5',
      ]);
    });

    it('sums the groups past 100 000 points in all into one "(other)" series', async () => {
      await ctx.gw.gatehouse.app.gateways.create('local', 'many-users', { ...DEFAULT_SETTINGS });
      // Fourteen users: u0 three requests, u1 two, the rest one each.
      const users = ['u0', 'u0', 'u0', 'u1', 'u1', ...Array.from({ length: 12 }, (_, i) => `u${i + 2}`)];
      for (const user of users) {
        const res = await request(`${ctx.gw.gatewayUrl('many-users')}/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk',
            'cf-aig-metadata': JSON.stringify({ user }),
          },
          body: '{"model":"gpt-4o-mini","messages":[]}',
        });
        await res.body.text();
      }
      // A week by the minute: 10 000 points a series, so ten series at most.
      const end = Date.now() + 60_000;
      const r = await ctx.gw.api(
        'GET',
        `/analytics?gateway=many-users&bucket=minute&start=${end - 9_999 * 60_000}&end=${end}&group_by=metadata.user&first_byte=true`,
      );
      expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBe(200);
      const series = r.json.result.series as Array<{
        group: string;
        others?: number;
        points: unknown[];
        totals: { requests: number };
      }>;
      expect(series).toHaveLength(10);
      expect(series.slice(0, 2).map((s) => [s.group, s.totals.requests])).toEqual([
        ['u0', 3],
        ['u1', 2],
      ]);
      expect(series[9]).toMatchObject({ group: '(other)', others: 5, totals: { requests: 5 } });
      // The first byte's histogram is summed with the rest: every one of the five reached the provider.
      const firstBytes = series.map((s) => (s.totals as { first_byte_p50?: number | null }).first_byte_p50);
      expect(firstBytes.every((v) => typeof v === 'number' && v >= 0)).toBe(true);
      expect(series.slice(0, 9).every((s) => s.others === undefined)).toBe(true);
      expect(series.reduce((n, s) => n + s.totals.requests, 0)).toBe(users.length);
      expect(series.reduce((n, s) => n + s.points.length, 0)).toBeLessThanOrEqual(100_000);
      // Under the bound every group keeps its own series.
      const day = await ctx.gw.api('GET', '/analytics?gateway=many-users&bucket=hour&group_by=metadata.user');
      expect(day.json.result.series).toHaveLength(14);
    });

    it('filters like the logs API, and buckets cover the whole range', async () => {
      const f = encodeURIComponent(JSON.stringify([{ key: 'model', operator: 'eq', value: ['gpt-4o'] }]));
      const r = await get(`bucket=minute&filters=${f}`);
      expect(sum(r.series[0].points, 'requests')).toBe(3);
      const from = Math.floor(since / 60_000) * 60_000 - 10 * 60_000;
      const range = await ctx.gw.api(
        'GET',
        `/analytics?start=${from}&end=${from + 11 * 60_000}&bucket=minute`,
      );
      expect(range.json.result.series[0].points.length).toBe(11);
    });

    it('first_byte=true adds the provider’s first-byte percentiles, over the requests that reached one', async () => {
      await ctx.gw.gatehouse.app.gateways.create('local', 'first-byte', { ...DEFAULT_SETTINGS });
      const call = async (scenario: string, headers: Record<string, string> = {}) => {
        const res = await request(`${ctx.gw.gatewayUrl('first-byte')}/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk',
            'x-mock-scenario': scenario,
            ...headers,
          },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: scenario }] }),
        });
        await res.body.text();
        return res.headers['cf-aig-cache-status'];
      };
      await call('slow-first-byte=120');
      expect(await call('slow-first-byte=130', { 'cf-aig-cache-ttl': '600' })).toBe('MISS');
      // A hit and a call that got no answer have no first byte: they count as requests, not here.
      expect(await call('slow-first-byte=130', { 'cf-aig-cache-ttl': '600' })).toBe('HIT');
      await call('reset');
      await call('slow-first-byte=400');
      await ctx.gw.flushLogs();
      const logs = (await ctx.gw.api('GET', '/gateways/first-byte/logs?per_page=100')).json.result as Array<
        Record<string, any>
      >;
      expect(logs).toHaveLength(5);
      const firstBytes = logs
        .map((l) => l['upstream_first_byte'] as number | null)
        .filter((v) => v !== null)
        .sort((a, b) => a - b);
      expect(firstBytes).toHaveLength(3);
      expect(firstBytes[0]).toBeGreaterThanOrEqual(120);
      expect(firstBytes[2]).toBeGreaterThanOrEqual(400);

      const result = await get('gateway=first-byte&bucket=minute&first_byte=true');
      const totals = result.series[0].totals;
      expect(totals.requests).toBe(5);
      const rank = (p: number) => firstBytes[Math.ceil(p * firstBytes.length) - 1]!;
      const step = (v: number) => (v < 100 ? 1 : v < 1000 ? 10 : v < 10_000 ? 100 : 1000);
      for (const [k, p] of [
        ['first_byte_p50', 0.5],
        ['first_byte_p90', 0.9],
        ['first_byte_p99', 0.99],
      ] as const) {
        expect(totals[k], k).toBeLessThanOrEqual(rank(p));
        expect(totals[k], k).toBeGreaterThan(rank(p) - step(rank(p)));
      }
      // The second histogram leaves the first one's sums alone.
      const plain = await get('gateway=first-byte&bucket=minute');
      expect({ ...totals, first_byte_p50: 0, first_byte_p90: 0, first_byte_p99: 0 }).toEqual({
        ...plain.series[0].totals,
        first_byte_p50: 0,
        first_byte_p90: 0,
        first_byte_p99: 0,
      });
      // Only when asked for; null in buckets with no first byte.
      expect(plain.series[0].totals).not.toHaveProperty('first_byte_p50');
      for (const point of result.series[0].points) {
        if (point.requests === 0) expect(point.first_byte_p50).toBeNull();
        else expect(point.first_byte_p50).toBeGreaterThanOrEqual(firstBytes[0]! - 10);
      }
      // Grouped: each group's own, and a group with none has null.
      const byStatus = await get(
        `gateway=first-byte&bucket=hour&first_byte=true&group_by=metadata.none&filters=${encodeURIComponent(
          JSON.stringify([{ key: 'success', operator: 'eq', value: [false] }]),
        )}`,
      );
      expect(byStatus.series).toHaveLength(1);
      expect(byStatus.series[0].totals).toMatchObject({
        requests: 1,
        first_byte_p50: null,
        first_byte_p99: null,
      });
      const r = await ctx.gw.api('GET', '/analytics?first_byte=yes');
      expect(r.status).toBe(400);
      expect(r.json.errors[0].message).toBe('first_byte must be true or false; got "yes"');
    });

    it('explains bad parameters', async () => {
      expect((await ctx.gw.api('GET', '/analytics?bucket=week')).json.errors[0].message).toMatch(
        /minute, hour or day/,
      );
      expect((await ctx.gw.api('GET', '/analytics?group_by=colour')).status).toBe(400);
      expect((await ctx.gw.api('GET', '/analytics?start=2026-01-01&end=2025-01-01')).status).toBe(400);
      expect((await ctx.gw.api('GET', '/analytics?start=0&bucket=minute')).json.errors[0].message).toMatch(
        /at most 10000 minutes/,
      );
      expect((await ctx.gw.api('GET', '/analytics?gateway=nope')).status).toBe(404);
    });
  });
}
