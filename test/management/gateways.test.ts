import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`on ${database.name}`, () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGatehouse(await database.env());
    });
    afterAll(() => gw?.close());

    const required = {
      cache_invalidate_on_update: false,
      cache_ttl: 0,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
    };

    function messages(json: { errors: Array<{ message: string }> }): string {
      return json.errors.map((e) => e.message).join(' | ');
    }

    describe('gateways API (Cloudflare v4 shape)', () => {
      it('the default gateway exists from the start', async () => {
        const r = await gw.api('GET', '/gateways/default');
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ success: true, errors: [], messages: [] });
        expect(r.json.result).toMatchObject({
          id: 'default',
          is_default: true,
          collect_logs: true,
          cache_ttl: 0,
          authentication: false,
        });
      });

      it('creates, reads, lists, updates and deletes a gateway; every settings field is stored and returned', async () => {
        const body = {
          id: 'crud',
          ...required,
          cache_ttl: 300,
          rate_limiting_technique: 'sliding',
          authentication: true,
          log_management: 10000,
          log_management_strategy: 'DELETE_OLDEST',
          retry_max_attempts: 3,
          retry_delay: 500,
          retry_backoff: 'exponential',
          guardrails: { prompt: { S1: 'BLOCK' }, response: { P1: 'FLAG' } },
          otel: [{ url: 'https://otel.example/v1/traces', headers: { a: 'b' }, compression: 'gzip' }],
          spend_limits: {
            enabled: true,
            rules: [
              {
                limit: 100,
                limitType: 'cost',
                window: 604800,
                model: { mode: 'filter', values: ['gpt-4o'] },
              },
            ],
          },
          dlp: {
            enabled: true,
            policies: [{ id: 'p1', action: 'BLOCK', check: ['REQUEST'], enabled: true, profiles: ['x'] }],
          },
          zdr: true,
          byok_only: true,
          workers_ai_billing_mode: 'unified',
        };
        const created = await gw.api('POST', '/gateways', body);
        expect(created.status).toBe(200);
        const { created_at, modified_at, ...rest } = created.json.result;
        // A collector's header values are credentials as often as not: write-only, shown redacted.
        const shownOtel = [
          { url: 'https://otel.example/v1/traces', headers: { a: '[redacted]' }, compression: 'gzip' },
        ];
        expect(rest).toMatchObject({ ...body, otel: shownOtel, is_default: false });
        expect(Date.parse(created_at)).toBeGreaterThan(0);

        expect((await gw.api('GET', '/gateways/crud')).json.result).toEqual(created.json.result);
        const list = await gw.api('GET', '/gateways');
        expect(list.json.result.map((g: { id: string }) => g.id)).toEqual(['crud', 'default']);
        expect(list.json.result_info).toEqual({ page: 1, per_page: 20, count: 2, total_count: 2 });

        // A GET's result can be sent back as a PUT; omitted optional fields keep their values.
        const put = await gw.api('PUT', '/gateways/crud', { ...created.json.result, cache_ttl: 600 });
        expect(put.status).toBe(200);
        expect(put.json.result.cache_ttl).toBe(600);
        expect(gw.gatehouse.app.gateways.get('local', 'crud')!.settings.otel![0]!.headers).toEqual({
          a: 'b',
        });
        const minimal = await gw.api('PUT', '/gateways/crud', { ...required });
        expect(minimal.json.result).toMatchObject({
          ...required,
          authentication: true,
          byok_only: true,
          retry_backoff: 'exponential',
        });
        expect(Date.parse(minimal.json.result.modified_at)).toBeGreaterThan(Date.parse(created_at) - 1);

        expect((await gw.api('DELETE', '/gateways/crud')).status).toBe(200);
        expect((await gw.api('GET', '/gateways/crud')).status).toBe(404);
        expect((await gw.api('DELETE', '/gateways/crud')).status).toBe(404);
      });

      it('validates input and says what is allowed', async () => {
        const missing = await gw.api('POST', '/gateways', { id: 'x' });
        expect(missing.status).toBe(400);
        expect(messages(missing.json)).toMatch(/cache_ttl: .*collect_logs/s);

        const range = await gw.api('POST', '/gateways', {
          id: 'x',
          ...required,
          cache_ttl: 30,
          retry_max_attempts: 9,
          retry_backoff: 'random',
          rate_limits: [{ key: 'user', limit: 1, interval: 60 }],
          otel: [{ url: 'https://otel.example/v1/traces', compression: 'br' }],
        });
        expect(range.status).toBe(400);
        const text = messages(range.json);
        expect(text).toMatch(
          /cache_ttl: must be 0 or null \(no caching\), or an integer number of seconds from 60 to 2592000/,
        );
        expect(text).toMatch(
          /rate_limits\.0\.key: must be gateway, token, provider, model, provider_model or metadata\.<key>/,
        );
        expect(text).toContain('retry_max_attempts');
        expect(text).toMatch(/retry_backoff: .*"constant"/);
        expect(text).toMatch(/otel\.0\.compression: .*"none".*"gzip"/);

        const unknown = await gw.api('POST', '/gateways', { id: 'x', ...required, colour: 'blue' });
        expect(unknown.status).toBe(400);
        expect(messages(unknown.json)).toContain('colour');

        const badId = await gw.api('POST', '/gateways', { id: 'has space', ...required });
        expect(badId.status).toBe(400);
        expect(messages(badId.json)).toContain('id: letters, digits');

        const dup = await gw.api('POST', '/gateways', { id: 'default', ...required });
        expect(dup.status).toBe(409);

        const putMissing = await gw.api('PUT', '/gateways/default', { cache_ttl: 120 });
        expect(putMissing.status).toBe(400);
        expect(messages(putMissing.json)).toContain(
          'missing: cache_invalidate_on_update, collect_logs, rate_limiting_interval, rate_limiting_limit',
        );

        const badJson = await fetch(`${gw.apiUrl}/gateways`, {
          method: 'POST',
          headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
          body: '{nope',
        });
        expect(badJson.status).toBe(400);
        expect(messages((await badJson.json()) as never)).toContain('not valid JSON');
      });

      it('paginates and searches by id', async () => {
        for (const id of ['alpha-1', 'alpha-2', 'beta-1'])
          await gw.api('POST', '/gateways', { id, ...required });
        const page = await gw.api('GET', '/gateways?search=ALPHA&per_page=1&page=2');
        expect(page.json.result.map((g: { id: string }) => g.id)).toEqual(['alpha-2']);
        expect(page.json.result_info).toEqual({ page: 2, per_page: 1, count: 1, total_count: 2 });
        const bad = await gw.api('GET', '/gateways?per_page=1000');
        expect(bad.status).toBe(400);
        expect(messages(bad.json)).toContain('per_page must be an integer from 1 to 100');
      });

      it('a gateway change reaches the data plane at once', async () => {
        await gw.api('POST', '/gateways', { id: 'flip', ...required });
        const before = await fetch(`${gw.gatewayUrl('flip')}/openai/models`);
        expect(before.status).not.toBe(401);
        await gw.api('PUT', '/gateways/flip', { ...required, authentication: true });
        expect((await fetch(`${gw.gatewayUrl('flip')}/openai/models`)).status).toBe(401);
      });
    });

    describe('management authentication and permissions', () => {
      it('401 without or with a wrong token', async () => {
        const none = await fetch(`${gw.apiUrl}/gateways`);
        expect(none.status).toBe(401);
        expect(((await none.json()) as { errors: Array<{ code: number }> }).errors[0]!.code).toBe(10000);
        expect((await gw.api('GET', '/gateways', undefined, 'wrong')).status).toBe(401);
      });

      it('read tokens read, edit tokens write, scoped tokens stay in their gateways, only the admin manages tokens', async () => {
        const mk = async (permissions: string[], gateways?: string[]) =>
          (await gw.api('POST', '/tokens', { name: 't', permissions, ...(gateways ? { gateways } : {}) }))
            .json.result.value as string;
        const reader = await mk(['read']);
        const editor = await mk(['edit'], ['default']);
        const runner = await mk(['run']);

        expect((await gw.api('GET', '/gateways/default', undefined, reader)).status).toBe(200);
        const denied = await gw.api('PUT', '/gateways/default', required, reader);
        expect(denied.status).toBe(403);
        expect(messages(denied.json)).toContain('"edit"');
        expect((await gw.api('PUT', '/gateways/default', required, editor)).status).toBe(200);
        expect((await gw.api('POST', '/gateways', { id: 'by-editor', ...required }, editor)).status).toBe(
          403,
        );
        expect(
          (await gw.api('GET', '/gateways', undefined, editor)).json.result.map((g: { id: string }) => g.id),
        ).toEqual(['default']);
        expect((await gw.api('GET', '/gateways/default', undefined, runner)).status).toBe(403);
        expect((await gw.api('POST', '/tokens', { name: 'x', permissions: ['edit'] }, editor)).status).toBe(
          403,
        );
        expect((await gw.api('GET', '/tokens', undefined, reader)).status).toBe(403);
      });

      it('unknown accounts and routes are 404s in the v4 shape', async () => {
        const res = await fetch(`${gw.url}/client/v4/accounts/other/ai-gateway/gateways`, {
          headers: { authorization: `Bearer ${gw.adminToken}` },
        });
        expect(res.status).toBe(404);
        const route = await gw.api('GET', '/nothing-here');
        expect(route.status).toBe(404);
        expect(route.json).toMatchObject({ success: false, result: null });
        expect(route.json.errors[0].code).toBe(7003);
      });
    });

    describe('tokens API', () => {
      it('shows the value once, stores only a hash, lists and revokes', async () => {
        const created = await gw.api('POST', '/tokens', {
          name: 'app',
          permissions: ['run', 'read'],
          gateways: ['default'],
        });
        expect(created.status).toBe(200);
        const t = created.json.result;
        expect(t).toMatchObject({ name: 'app', permissions: ['run', 'read'], gateways: ['default'] });
        expect(t.value).toMatch(/^ghk_[\w-]{40,}$/);
        const list = await gw.api('GET', '/tokens');
        const listed = list.json.result.find((x: { id: string }) => x.id === t.id);
        expect(listed.value).toBeUndefined();
        expect(listed.preview).toBe(`${t.value.slice(0, 8)}…`);
        expect((await gw.api('DELETE', `/tokens/${t.id}`)).status).toBe(200);
        expect((await gw.api('GET', `/tokens/${t.id}`)).status).toBe(404);
        const bad = await gw.api('POST', '/tokens', { name: 'x', permissions: ['root'] });
        expect(bad.status).toBe(400);
        expect(messages(bad.json)).toMatch(/permissions\.0: .*"run"/);
      });
    });

    describe('custom providers API', () => {
      it('creates, lists, updates and deletes; enforces the slug and https rules with the documented codes', async () => {
        const created = await gw.api('POST', '/custom-providers', {
          name: 'Acme AI',
          slug: 'acme',
          base_url: 'https://api.acme.example/v1/',
        });
        expect(created.status).toBe(200);
        const p = created.json.result;
        expect(p).toMatchObject({
          name: 'Acme AI',
          slug: 'acme',
          base_url: 'https://api.acme.example/v1',
          enable: false,
          beta: false,
        });
        expect(p.logo).toMatch(/^data:image\/svg\+xml;base64,/);
        expect(typeof p.created_at).toBe('number');

        const dup = await gw.api('POST', '/custom-providers', {
          name: 'Other',
          slug: 'acme',
          base_url: 'https://x.example',
        });
        expect(dup.status).toBe(409);
        expect(dup.json.errors[0].code).toBe(1003);
        const http = await gw.api('POST', '/custom-providers', {
          name: 'Plain',
          slug: 'plain',
          base_url: 'http://x.example',
        });
        expect(http.status).toBe(400);
        expect(http.json.errors[0]).toMatchObject({ code: 1002, path: ['base_url'] });
        const slug = await gw.api('POST', '/custom-providers', {
          name: 'Bad',
          slug: 'Bad_Slug',
          base_url: 'https://x.example',
        });
        expect(slug.status).toBe(400);

        const patched = await gw.api('PATCH', `/custom-providers/${p.id}`, {
          enable: true,
          description: 'ours',
        });
        expect(patched.json.result).toMatchObject({ enable: true, description: 'ours' });
        const list = await gw.api('GET', '/custom-providers?enable=true&search=acm');
        expect(list.json.result.map((x: { id: string }) => x.id)).toEqual([p.id]);
        expect((await gw.api('DELETE', `/custom-providers/${p.id}`)).status).toBe(200);
        const gone = await gw.api('GET', `/custom-providers/${p.id}`);
        expect(gone.status).toBe(404);
        expect(gone.json.errors[0].code).toBe(1004);
      });
    });
  });
}
