import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`logs API on ${database.name}`, () => {
    const env: Record<string, string> = {};
    beforeAll(async () => {
      Object.assign(env, await database.env());
    });
    const ctx = useGatewayWithMock(env);
    const ids: Record<string, string> = {};

    async function send(name: string, path: string, body: unknown, headers: Record<string, string> = {}) {
      const res = await request(`${ctx.gw.gatewayUrl('logged')}/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk-secret-key',
          'user-agent': 'logs-test/1',
          ...headers,
        },
        body: JSON.stringify(body),
      });
      await res.body.text();
      ids[name] = res.headers['cf-aig-log-id'] as string;
      return res.statusCode;
    }
    const api = (method: string, path: string, body?: unknown) =>
      ctx.gw.api(method, `/gateways/logged${path}`, body);
    const list = async (query: string) => {
      const r = await api('GET', `/logs?per_page=100&${query}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.result as Array<Record<string, any>>;
    };
    const filter = (f: unknown[]) => `filters=${encodeURIComponent(JSON.stringify(f))}`;
    const chat = (model: string, content = 'Hello') => ({ model, messages: [{ role: 'user', content }] });

    /** A new gateway that logs, with one chat call per model, in order; the log id of each. */
    async function gatewayLogging(id: string, models: string[]): Promise<Record<string, string>> {
      const created = await ctx.gw.api('POST', '/gateways', {
        id,
        cache_ttl: 0,
        cache_invalidate_on_update: false,
        collect_logs: true,
        rate_limiting_interval: 0,
        rate_limiting_limit: 0,
      });
      expect(created.status).toBe(200);
      const logIds: Record<string, string> = {};
      for (const model of models) {
        const res = await request(`${ctx.gw.gatewayUrl(id)}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-secret-key' },
          body: JSON.stringify(chat(model)),
        });
        await res.body.text();
        logIds[model] = res.headers['cf-aig-log-id'] as string;
      }
      await ctx.gw.flushLogs();
      return logIds;
    }

    beforeAll(async () => {
      await gatewayLogging('logged', []);
      await send('mini', 'openai/chat/completions', chat('gpt-4o-mini'), {
        'cf-aig-metadata': '{"user":"alice","tier":3}',
      });
      await send('big', 'openai/chat/completions', chat('gpt-4o'), { 'cf-aig-metadata': '{"user":"bob"}' });
      await send('stream', 'openai/chat/completions', {
        ...chat('gpt-4o-mini'),
        stream: true,
        stream_options: { include_usage: true },
      });
      await send(
        'claude',
        'anthropic/v1/messages',
        { ...chat('claude-sonnet-4-5'), max_tokens: 64 },
        { 'x-api-key': 'sk-ant-secret' },
      );
      await send('failed', 'openai/chat/completions', chat('gpt-4o'), { 'x-mock-scenario': 'status=500' });
      await send('nopayload', 'openai/chat/completions', chat('gpt-4o-mini', 'private'), {
        'cf-aig-collect-log-payload': 'false',
      });
      await send('nolog', 'openai/chat/completions', chat('gpt-4o-mini'), { 'cf-aig-collect-log': 'false' });
      await send('embed', 'openai/embeddings', { model: 'text-embedding-3-small', input: 'hi' });
      await ctx.gw.flushLogs();
    });

    it('a full entry: heads with credentials redacted, sizes, content types, user agent, model type', async () => {
      const r = await api('GET', `/logs/${ids['mini']}`);
      expect(r.status).toBe(200);
      const log = r.json.result;
      expect(log).toMatchObject({
        provider: 'openai',
        model: 'gpt-4o-mini',
        model_type: 'chat',
        request_type: 'provider',
        request_content_type: 'application/json',
        response_content_type: 'application/json',
        user_agent: 'logs-test/1',
        feedback: 0,
        score: null,
        custom_cost: false,
        metadata: '{"user":"alice","tier":3}',
      });
      // The provider call's share of the attempt; the rest is the gateway's own time.
      expect(typeof log.upstream_duration).toBe('number');
      expect(log.upstream_duration).toBeGreaterThanOrEqual(0);
      expect(log.upstream_duration).toBeLessThanOrEqual(log.duration);
      // The provider's first body byte came within its call.
      expect(typeof log.upstream_first_byte).toBe('number');
      expect(log.upstream_first_byte).toBeLessThanOrEqual(log.upstream_duration);
      expect(log.request_size).toBeGreaterThan(0);
      expect(log.response_size).toBeGreaterThan(0);
      const head = JSON.parse(log.request_head);
      expect(head['authorization']).toBe('[redacted]');
      expect(head['user-agent']).toBe('logs-test/1');
      expect(JSON.stringify(r.json)).not.toContain('sk-secret-key');
      const claude = (await api('GET', `/logs/${ids['claude']}`)).json.result;
      expect(JSON.parse(claude.request_head)['x-api-key']).toBe('[redacted]');
      expect((await api('GET', `/logs/${ids['embed']}`)).json.result.model_type).toBe('embeddings');
    });

    it('stores request and response bodies apart, and serves them', async () => {
      const req = await api('GET', `/logs/${ids['mini']}/request`);
      expect(req.status).toBe(200);
      expect(req.json.result).toEqual(chat('gpt-4o-mini'));
      const res = await api('GET', `/logs/${ids['mini']}/response`);
      expect(res.json.result.object).toBe('chat.completion');
      const stream = await api('GET', `/logs/${ids['stream']}/response`);
      expect(typeof stream.json.result).toBe('string');
      expect(stream.json.result).toContain('data: [DONE]');
    });

    it('cf-aig-collect-log-payload: false keeps the row and drops the bodies; cf-aig-collect-log: false keeps nothing', async () => {
      expect((await api('GET', `/logs/${ids['nopayload']}`)).status).toBe(200);
      const body = await api('GET', `/logs/${ids['nopayload']}/request`);
      expect(body.status).toBe(404);
      expect(body.json.errors[0].message).toMatch(/no stored request body/);
      expect((await api('GET', `/logs/${ids['nolog']}`)).status).toBe(404);
    });

    it.each([
      ['provider eq', [{ key: 'provider', operator: 'eq', value: ['anthropic'] }], ['claude']],
      [
        'model neq',
        [{ key: 'model', operator: 'neq', value: ['gpt-4o-mini', 'text-embedding-3-small'] }],
        ['big', 'claude', 'failed'],
      ],
      ['success eq false', [{ key: 'success', operator: 'eq', value: [false] }], ['failed']],
      ['model contains', [{ key: 'model', operator: 'contains', value: ['CLAUDE'] }], ['claude']],
      ['metadata.key', [{ key: 'metadata.key', operator: 'eq', value: ['tier'] }], ['mini']],
      ['metadata.value', [{ key: 'metadata.value', operator: 'eq', value: ['bob'] }], ['big']],
      ['event_id', [{ key: 'event_id', operator: 'eq', value: ['__mini__'] }], ['mini']],
      ['model_type', [{ key: 'model_type', operator: 'eq', value: ['embeddings'] }], ['embed']],
      [
        'two filters',
        [
          { key: 'provider', operator: 'eq', value: ['openai'] },
          { key: 'model', operator: 'eq', value: ['gpt-4o'] },
        ],
        ['big', 'failed'],
      ],
    ])('filter: %s', async (_name, filters, expected) => {
      const resolved = JSON.parse(JSON.stringify(filters).replace('__mini__', ids['mini']!)) as unknown[];
      const rows = await list(filter(resolved));
      expect(rows.map((r) => Object.entries(ids).find(([, id]) => id === r['id'])?.[0]).sort()).toEqual(
        [...expected].sort(),
      );
    });

    it('numeric and time comparisons', async () => {
      const all = await list('');
      expect((await list(filter([{ key: 'tokens', operator: 'gt', value: [0] }]))).length).toBeGreaterThan(0);
      expect(await list(filter([{ key: 'duration', operator: 'lt', value: [0] }]))).toEqual([]);
      const newest = all[0]!['created_at'] as string;
      expect(await list(filter([{ key: 'created_at', operator: 'gt', value: [newest] }]))).toEqual([]);
      expect((await list(filter([{ key: 'cost', operator: 'gt', value: [0] }]))).length).toBeGreaterThan(0);
    });

    it('accepts the dotted form the Cloudflare SDK sends', async () => {
      const rows = await list('filters.key=provider&filters.operator=eq&filters.value=anthropic');
      expect(rows.map((r) => r['id'])).toEqual([ids['claude']]);
    });

    it('names the allowed keys and operators on a bad filter', async () => {
      const bad = await api('GET', `/logs?${filter([{ key: 'colour', operator: 'eq', value: ['x'] }])}`);
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].message).toMatch(/key must be one of id, created_at, .*user_agent/);
      const op = await api('GET', `/logs?${filter([{ key: 'model', operator: 'like', value: ['x'] }])}`);
      expect(op.json.errors[0].message).toMatch(/operator must be one of eq, neq, contains, lt, gt/);
    });

    it('checks each filter value against its key, and takes % and _ in search and contains literally', async () => {
      for (const [query, message] of [
        [
          filter([{ key: 'cost', operator: 'gt', value: ['abc'] }]),
          /filters\[0\]\.value: cost takes numbers; got "abc"/,
        ],
        [filter([{ key: 'success', operator: 'eq', value: ['yes'] }]), /success takes true or false/],
        [
          filter([{ key: 'created_at', operator: 'gt', value: ['noon'] }]),
          /created_at takes an ISO time or unix milliseconds/,
        ],
        [filter([{ key: 'model', operator: 'eq' }]), /filters\[0\]\.value is required/],
        ['filters.value=openai', /filters\.value must come after the filters\.key it belongs to/],
      ] as const) {
        const bad = await api('GET', `/logs?${query}`);
        expect(bad.status, query).toBe(400);
        expect(bad.json.errors[0].message).toMatch(message);
      }
      // Every stored log has a letter in its model; none has a literal % or _ in what search reads.
      expect(await list('search=%25')).toEqual([]);
      expect(await list(filter([{ key: 'model', operator: 'contains', value: ['_'] }]))).toEqual([]);
      expect(
        (await list(filter([{ key: 'model', operator: 'contains', value: ['4o-'] }]))).length,
      ).toBeGreaterThan(0);
    });

    it('orders, paginates and searches', async () => {
      const asc = await list('order_by=created_at&order_by_direction=asc');
      expect(asc[0]!['id']).toBe(ids['mini']);
      const page = await api('GET', '/logs?per_page=2&page=2');
      expect(page.json.result).toHaveLength(2);
      expect(page.json.result_info).toMatchObject({ page: 2, per_page: 2, total_count: 7 });
      // The last page (1 of 2 rows), one past it, and a search whose first page is not full.
      const last = await api('GET', '/logs?per_page=2&page=4');
      expect(last.json.result).toHaveLength(1);
      expect(last.json.result_info).toMatchObject({ page: 4, total_count: 7 });
      const past = await api('GET', '/logs?per_page=2&page=5');
      expect(past.json.result).toEqual([]);
      expect(past.json.result_info).toMatchObject({ page: 5, total_count: 7 });
      const few = await api('GET', '/logs?per_page=50&search=gpt-4o');
      expect(few.json.result_info.total_count).toBe(few.json.result.length);
      expect((await list('search=claude')).map((r) => r['id'])).toEqual([ids['claude']]);
      expect((await api('GET', '/logs?order_by=colour')).status).toBe(400);
      // A page so far out that its row offset is no exact integer: a 400 with the range, not a 500.
      const far = await api('GET', '/logs?search=x&page=9999999999999999999999');
      expect(far.status).toBe(400);
      expect(far.json.errors[0].message).toBe('page must be an integer from 1 to 9007199254740');
      expect((await api('GET', '/logs?page=9007199254740')).json.result).toEqual([]);
      // Logs with no cost (the failed call) come last both ways, on SQLite and Postgres alike.
      for (const direction of ['asc', 'desc']) {
        const costs = (await list(`order_by=cost&order_by_direction=${direction}`)).map((r) => r['cost']);
        const firstNull = costs.indexOf(null);
        expect(firstNull, direction).toBeGreaterThan(0);
        expect(
          costs.slice(firstNull).every((c) => c === null),
          direction,
        ).toBe(true);
      }
    });

    it('PATCH stores feedback, score and metadata; out-of-range values are 400s', async () => {
      const r = await api('PATCH', `/logs/${ids['big']}`, {
        feedback: 1,
        score: 90,
        metadata: { reviewed: true },
      });
      expect(r.status).toBe(200);
      expect(r.json.result).toMatchObject({ feedback: 1, score: 90, metadata: '{"reviewed":true}' });
      expect(
        (await list(filter([{ key: 'feedback', operator: 'eq', value: [1] }]))).map((x) => x['id']),
      ).toEqual([ids['big']]);
      const asText = await api('PATCH', `/logs/${ids['big']}`, { feedback: '1' });
      expect(asText.json.result).toMatchObject({ feedback: 1 });
      const feedback = await api('PATCH', `/logs/${ids['big']}`, { feedback: 2 });
      expect(feedback.status).toBe(400);
      expect(feedback.json.errors[0].message).toMatch(
        /feedback: must be -1 \(thumbs down\), 1 \(thumbs up\)/,
      );
      const nested = await api('PATCH', `/logs/${ids['big']}`, { metadata: { a: { b: 1 } } });
      expect(nested.status).toBe(400);
      expect(nested.json.errors[0].message).toMatch(/metadata\.a: must be a string, number or boolean/);
      expect((await api('PATCH', `/logs/${ids['big']}`, { score: 101 })).status).toBe(400);
      expect((await api('PATCH', '/logs/nope', { score: 1 })).status).toBe(404);
    });

    it('takes the deprecated flat parameters the Cloudflare SDKs still send, each as a filter', async () => {
      const names = async (query: string) =>
        (await list(query)).map((r) => Object.entries(ids).find(([, id]) => id === r['id'])?.[0]).sort();
      expect(await names('provider=anthropic')).toEqual(['claude']);
      expect(await names('success=false')).toEqual(['failed']);
      expect(await names('provider=openai&model=gpt-4o')).toEqual(['big', 'failed']);
      expect(await names('model_type=embeddings')).toEqual(['embed']);
      expect(await names('cached=true')).toEqual([]);
      // The PATCH test gave `big` a thumbs up; nothing has a thumbs down.
      expect(await names('feedback=1')).toEqual(['big']);
      expect(await names('feedback=0')).toEqual([]);
      // Bounds include their value.
      const claude = (await list('provider=anthropic'))[0]!;
      const tokens = Number(claude['tokens_in']) + Number(claude['tokens_out']);
      expect(await names(`provider=anthropic&min_total_tokens=${tokens}&max_total_tokens=${tokens}`)).toEqual(
        ['claude'],
      );
      expect(await names(`provider=anthropic&min_total_tokens=${tokens + 1}`)).toEqual([]);
      expect(await names(`provider=anthropic&max_tokens_in=${Number(claude['tokens_in']) - 1}`)).toEqual([]);
      expect(await names(`provider=anthropic&min_cost=${claude['cost']}&max_cost=${claude['cost']}`)).toEqual(
        ['claude'],
      );
      const at = claude['created_at'] as string;
      expect(
        await names(
          `provider=anthropic&start_date=${encodeURIComponent(at)}&end_date=${encodeURIComponent(at)}`,
        ),
      ).toEqual(['claude']);
      expect(await names(`provider=anthropic&start_date=${Date.parse(at) + 1}`)).toEqual([]);
      // A bare date as the end takes in the whole day.
      expect(await names(`provider=anthropic&end_date=${at.slice(0, 10)}`)).toEqual(['claude']);
      expect(await names('provider=anthropic&min_duration=0&max_duration=600000')).toEqual(['claude']);
      // Flat parameters and filters[] add up.
      expect(
        await names(`success=true&${filter([{ key: 'model', operator: 'eq', value: ['gpt-4o'] }])}`),
      ).toEqual(['big']);
      for (const [query, message] of [
        ['success=yes', /success must be true or false/],
        ['feedback=-1', /feedback must be 0 \(negative\) or 1 \(positive\)/],
        ['min_cost=cheap', /min_cost must be a number/],
        ['start_date=yesterday', /start_date must be an ISO time or unix milliseconds/],
      ] as const) {
        const bad = await api('GET', `/logs?${query}`);
        expect(bad.status, query).toBe(400);
        expect(bad.json.errors[0].message).toMatch(message);
      }
    });

    it('meta_info=true adds the smallest and largest cost, duration and tokens of what matched', async () => {
      const plain = await api('GET', '/logs?provider=anthropic');
      expect(plain.json.result_info).not.toHaveProperty('min_cost');
      const r = await api('GET', '/logs?provider=anthropic&meta_info=true&per_page=1');
      expect(r.status).toBe(200);
      const claude = r.json.result[0];
      const tokens = claude.tokens_in + claude.tokens_out;
      expect(r.json.result_info).toEqual({
        page: 1,
        per_page: 1,
        count: 1,
        total_count: 1,
        min_cost: claude.cost,
        max_cost: claude.cost,
        min_duration: claude.duration,
        max_duration: claude.duration,
        min_tokens_in: claude.tokens_in,
        max_tokens_in: claude.tokens_in,
        min_tokens_out: claude.tokens_out,
        max_tokens_out: claude.tokens_out,
        min_total_tokens: tokens,
        max_total_tokens: tokens,
      });
      const all = (await api('GET', '/logs?meta_info=true')).json.result_info;
      expect(all.max_total_tokens).toBeGreaterThanOrEqual(tokens);
      expect(all.min_total_tokens).toBeLessThanOrEqual(tokens);
      const none = (await api('GET', '/logs?provider=nobody&meta_info=true')).json.result_info;
      expect(none).toMatchObject({ total_count: 0, min_cost: null, max_total_tokens: null });
      expect((await api('GET', '/logs?meta_info=yes')).status).toBe(400);
    });

    it('search and contains ignore the case of ASCII letters and match other letters as typed', async () => {
      const letterIds = await gatewayLogging('letters', ['Über-Modell', 'GPT-Mixed', 'plain-model']);
      const found = async (query: string) => {
        const r = await ctx.gw.api('GET', `/gateways/letters/logs?per_page=100&${query}`);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        return (r.json.result as Array<Record<string, string>>)
          .map((row) => Object.entries(letterIds).find(([, id]) => id === row['id'])?.[0])
          .sort();
      };
      expect(await found(`search=${encodeURIComponent('Über')}`)).toEqual(['Über-Modell']);
      expect(await found(`search=${encodeURIComponent('ber-mod')}`)).toEqual(['Über-Modell']);
      expect(await found('search=gpt-mixed')).toEqual(['GPT-Mixed']);
      expect(await found('search=MODEL')).toEqual(['plain-model', 'Über-Modell']);
      const contains = (value: string) => filter([{ key: 'model', operator: 'contains', value: [value] }]);
      expect(await found(contains('Über'))).toEqual(['Über-Modell']);
      expect(await found(contains('mIxEd'))).toEqual(['GPT-Mixed']);
      // Pages of one, in any order, put together are the whole list in that order.
      for (const order of ['cost', 'duration', 'model', 'created_at']) {
        for (const direction of ['asc', 'desc']) {
          const query = `order_by=${order}&order_by_direction=${direction}`;
          const whole = (await ctx.gw.api('GET', `/gateways/letters/logs?per_page=100&${query}`)).json.result;
          const pages = [];
          for (let page = 1; page <= 3; page++) {
            const r = await ctx.gw.api('GET', `/gateways/letters/logs?per_page=1&page=${page}&${query}`);
            expect(r.json.result_info).toMatchObject({ total_count: 3 });
            pages.push(...r.json.result);
          }
          expect(
            pages.map((r) => r.id),
            query,
          ).toEqual(whole.map((r: { id: string }) => r.id));
        }
      }
    });

    it('cache_key: the digest a hit shares with its miss, per credential; null without caching; a filter', async () => {
      await gatewayLogging('keyed', []);
      const call = async (headers: Record<string, string>, content = 'Hello') => {
        const res = await request(`${ctx.gw.gatewayUrl('keyed')}/openai/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-one', ...headers },
          body: JSON.stringify(chat('gpt-4o-mini', content)),
        });
        await res.body.text();
        return { id: res.headers['cf-aig-log-id'] as string, status: res.headers['cf-aig-cache-status'] };
      };
      const ttl = { 'cf-aig-cache-ttl': '600' };
      const miss = await call(ttl);
      const hit = await call(ttl);
      const otherKey = await call({ ...ttl, authorization: 'Bearer sk-two' });
      const custom = await call({ ...ttl, 'cf-aig-cache-key': 'faq:hello' }, 'Something else');
      const uncached = await call({});
      expect([miss.status, hit.status, otherKey.status, custom.status, uncached.status]).toEqual([
        'MISS',
        'HIT',
        'MISS',
        'MISS',
        undefined,
      ]);
      await ctx.gw.flushLogs();
      const key = async (id: string) =>
        (await ctx.gw.api('GET', `/gateways/keyed/logs/${id}`)).json.result.cache_key as string | null;
      const shared = await key(miss.id);
      expect(shared).toMatch(/^[0-9a-f]{64}$/);
      expect(await key(hit.id)).toBe(shared);
      const second = await key(otherKey.id);
      expect(second).toMatch(/^[0-9a-f]{64}$/);
      expect(second).not.toBe(shared);
      const own = await key(custom.id);
      expect(own).toMatch(/^[0-9a-f]{64}$/);
      expect(own).not.toContain('faq');
      expect(await key(uncached.id)).toBeNull();
      // The digest, never the credential it was made from.
      const all = await ctx.gw.api('GET', '/gateways/keyed/logs?per_page=100');
      expect(JSON.stringify(all.json)).not.toContain('sk-one');
      // Every request that shared an entry.
      const byKey = await ctx.gw.api(
        'GET',
        `/gateways/keyed/logs?per_page=100&${filter([{ key: 'cache_key', operator: 'eq', value: [shared] }])}`,
      );
      expect(byKey.status, JSON.stringify(byKey.json)).toBe(200);
      expect((byKey.json.result as Array<{ id: string }>).map((r) => r.id).sort()).toEqual(
        [miss.id, hit.id].sort(),
      );
      const unkeyed = await ctx.gw.api(
        'GET',
        `/gateways/keyed/logs?per_page=100&${filter([{ key: 'cache_key', operator: 'eq', value: [null] }])}`,
      );
      expect((unkeyed.json.result as Array<{ id: string }>).map((r) => r.id)).toEqual([uncached.id]);
    });

    it('orders and filters by the provider’s time and first byte, the logs without one (no answer) last', async () => {
      await gatewayLogging('first-bytes', []);
      const sent: Record<string, string> = {};
      for (const scenario of ['slow-first-byte=60', 'reset', 'slow-first-byte=150', 'slow-first-byte=0']) {
        const res = await request(`${ctx.gw.gatewayUrl('first-bytes')}/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk-secret-key',
            'x-mock-scenario': scenario,
          },
          body: JSON.stringify(chat('gpt-4o-mini', scenario)),
        });
        await res.body.text();
        sent[res.headers['cf-aig-log-id'] as string] = scenario;
      }
      await ctx.gw.flushLogs();
      const ordered = async (column: string, direction: string) => {
        const r = await ctx.gw.api(
          'GET',
          `/gateways/first-bytes/logs?order_by=${column}&order_by_direction=${direction}`,
        );
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        return r.json.result as Array<Record<string, any>>;
      };
      // The reset call has no first byte: last both ways.
      const desc = await ordered('upstream_first_byte', 'desc');
      expect(desc.map((row) => sent[row['id']])).toEqual([
        'slow-first-byte=150',
        'slow-first-byte=60',
        'slow-first-byte=0',
        'reset',
      ]);
      expect(desc.at(-1)!['upstream_first_byte']).toBeNull();
      const asc = await ordered('upstream_first_byte', 'asc');
      expect(asc.map((row) => sent[row['id']])).toEqual([
        'slow-first-byte=0',
        'slow-first-byte=60',
        'slow-first-byte=150',
        'reset',
      ]);
      // It has a provider time, though: the call was made, and failed at once.
      const byTime = await ordered('upstream_duration', 'desc');
      expect(byTime.slice(0, 2).map((row) => sent[row['id']])).toEqual([
        'slow-first-byte=150',
        'slow-first-byte=60',
      ]);
      const times = byTime.map((row) => row['upstream_duration'] as number);
      expect(times.every((t) => typeof t === 'number')).toBe(true);
      expect(times).toEqual([...times].sort((a, b) => b - a));

      // Both are filter keys too: "first tokens slower than 100 ms", "calls that never answered".
      const matching = async (filters: unknown[]) => {
        const r = await ctx.gw.api('GET', `/gateways/first-bytes/logs?${filter(filters)}`);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        return (r.json.result as Array<Record<string, any>>).map((row) => sent[row['id']]).sort();
      };
      expect(await matching([{ key: 'upstream_first_byte', operator: 'gt', value: [100] }])).toEqual([
        'slow-first-byte=150',
      ]);
      expect(await matching([{ key: 'upstream_first_byte', operator: 'lt', value: [100] }])).toEqual([
        'slow-first-byte=0',
        'slow-first-byte=60',
      ]);
      expect(await matching([{ key: 'upstream_first_byte', operator: 'eq', value: [null] }])).toEqual([
        'reset',
      ]);
      expect(await matching([{ key: 'upstream_duration', operator: 'gt', value: [55] }])).toEqual([
        'slow-first-byte=150',
        'slow-first-byte=60',
      ]);
      const bad = await ctx.gw.api(
        'GET',
        `/gateways/first-bytes/logs?${filter([{ key: 'upstream_first_byte', operator: 'gt', value: ['slow'] }])}`,
      );
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.json)).toContain('upstream_first_byte takes numbers');
    });

    it('DELETE with a limit removes the first logs in the order asked, and without one every match', async () => {
      const sent = ['m-3', 'm-1', 'm-5', 'm-2', 'm-4'];
      await gatewayLogging('pruned', sent);
      const logs = '/gateways/pruned/logs';
      const left = async () =>
        (
          (await ctx.gw.api('GET', `${logs}?per_page=100&order_by=created_at&order_by_direction=asc`)).json
            .result as Array<{ model: string }>
        ).map((r) => r.model);
      expect(await left()).toEqual(sent);
      const del = async (query: string) =>
        (await ctx.gw.api('DELETE', `${logs}?${query}`)).json.result.deleted;
      expect(await del('limit=2&order_by=created_at&order_by_direction=asc')).toBe(2);
      expect(await left()).toEqual(['m-5', 'm-2', 'm-4']);
      expect(await del('limit=1&order_by=model&order_by_direction=asc')).toBe(1);
      expect(await left()).toEqual(['m-5', 'm-4']);
      expect(await del('limit=1')).toBe(1);
      expect(await left()).toEqual(['m-5']);
      expect(await del('')).toBe(1);
      expect(await left()).toEqual([]);
    });

    it('DELETE refuses a parameter it does not know instead of deleting every log', async () => {
      const before = (await list('')).length;
      const typo = await api(
        'DELETE',
        `/logs?filter=${encodeURIComponent('[{"key":"provider","value":["openai"]}]')}`,
      );
      expect(typo.status).toBe(400);
      expect(typo.json.errors[0].message).toMatch(
        /DELETE \/logs does not take "filter"; it takes filters, limit/,
      );
      expect((await list('')).length).toBe(before);
    });

    it('DELETE by filters removes the rows and their bodies', async () => {
      const r = await api(
        'DELETE',
        `/logs?${filter([{ key: 'provider', operator: 'eq', value: ['anthropic'] }])}`,
      );
      expect(r.status).toBe(200);
      expect(r.json.result.deleted).toBe(1);
      expect((await api('GET', `/logs/${ids['claude']}`)).status).toBe(404);
      expect((await api('GET', `/logs/${ids['claude']}/request`)).status).toBe(404);
      expect(await list(filter([{ key: 'provider', operator: 'eq', value: ['anthropic'] }]))).toEqual([]);
    });
  });
}
