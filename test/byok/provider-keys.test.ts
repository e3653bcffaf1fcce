import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { DATABASES } from '../helpers/databases.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

const OPENAI_KEY = 'sk-stored-openai-0123456789abcdefXYZ';
const BACKUP_KEY = 'sk-stored-backup-9876543210fedcbaQRS';
const ANTHROPIC_KEY = 'sk-ant-stored-abcdefghijklmnop0123';

for (const database of DATABASES) {
  describe.skipIf(database.skip)(`on ${database.name}`, () => {
    let gw: TestGateway;
    let mock: MockUpstream;
    let runToken: string;
    const mockEnv: Record<string, string> = {};

    beforeAll(async () => {
      ({ gw, mock } = await startWithMock({
        ...(await database.env()),
        GATEHOUSE_SECRET_KEY: 'a'.repeat(64),
      }));
      Object.assign(mockEnv, {
        GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
        GATEHOUSE_UPSTREAM_ANTHROPIC: mock.url,
        GATEHOUSE_UPSTREAM_AWS_BEDROCK: mock.url,
      });
      const app = gw.gatehouse.app;
      // Bedrock's override needs the mock's URL, known only now.
      app.config.providerBaseUrls['aws-bedrock'] = mock.url;
      await app.gateways.create('local', 'keyed', { ...DEFAULT_SETTINGS, authentication: true });
      await app.gateways.create('local', 'strict', {
        ...DEFAULT_SETTINGS,
        authentication: true,
        byok_only: true,
      });
      runToken = (await app.tokens.create('local', { name: 'run', permissions: ['run'], gateways: null }))
        .value;
    });
    afterAll(async () => {
      await gw?.close();
      await mock?.close();
    });

    const addKey = (gateway: string, body: Record<string, unknown>) =>
      gw.api('POST', `/gateways/${gateway}/provider_configs`, body);

    async function chat(gateway: string, headers: Record<string, string> = {}, target = gw) {
      const res = await request(`${target.gatewayUrl(gateway)}/openai/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'cf-aig-authorization': `Bearer ${runToken}`,
          ...headers,
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, json: () => JSON.parse(text) };
    }

    const lastAuth = () => mock.requests.at(-1)!.headers['authorization'];

    describe('stored provider keys (BYOK)', () => {
      it('refuses to store a key on an unauthenticated gateway', async () => {
        const r = await addKey('default', { provider_slug: 'openai', secret: OPENAI_KEY });
        expect(r.status).toBe(400);
        expect(r.json.errors[0].message).toMatch(/not authenticated/);
      });

      it('stores a key and shows only a preview, never the secret', async () => {
        const r = await addKey('keyed', { provider_slug: 'openai', secret: OPENAI_KEY });
        expect(r.status).toBe(200);
        expect(r.json.result).toMatchObject({
          alias: 'default',
          default_config: true,
          provider_slug: 'openai',
          gateway_id: 'keyed',
        });
        expect(JSON.stringify(r.json)).not.toContain(OPENAI_KEY);
        expect(JSON.stringify(r.json)).not.toContain('0123456789abcdef');
        const list = await gw.api('GET', '/gateways/keyed/provider_configs');
        expect(list.json.result).toHaveLength(1);
        expect(JSON.stringify(list.json)).not.toContain(OPENAI_KEY);
        const dup = await addKey('keyed', { provider_slug: 'openai', secret: 'sk-other-key-123456789' });
        expect(dup.status).toBe(409);
      });

      it('injects the stored key into a request that carries none', async () => {
        const r = await chat('keyed');
        expect(r.status).toBe(200);
        expect(lastAuth()).toBe(`Bearer ${OPENAI_KEY}`);
      });

      it('lets a request’s own key win on a gateway without byok_only', async () => {
        await chat('keyed', { authorization: 'Bearer sk-own' });
        expect(lastAuth()).toBe('Bearer sk-own');
      });

      it('picks the alias named by cf-aig-byok-alias; an unknown alias is a 400 (2040) listing the aliases', async () => {
        expect(
          (await addKey('keyed', { provider_slug: 'openai', alias: 'backup', secret: BACKUP_KEY })).status,
        ).toBe(200);
        await chat('keyed', { 'cf-aig-byok-alias': 'backup' });
        expect(lastAuth()).toBe(`Bearer ${BACKUP_KEY}`);
        await chat('keyed');
        expect(lastAuth()).toBe(`Bearer ${OPENAI_KEY}`);
        const before = mock.requests.length;
        const bad = await chat('keyed', { 'cf-aig-byok-alias': 'nope' });
        expect(bad.status).toBe(400);
        expect(bad.json().internalCode).toBe(2040);
        expect(bad.json().message).toMatch(
          /provider 'openai' has no BYOK credential named 'nope'; configured aliases: backup, default/,
        );
        expect(mock.requests.length).toBe(before);
      });

      it('sends an Anthropic key in x-api-key', async () => {
        expect((await addKey('keyed', { provider_slug: 'anthropic', secret: ANTHROPIC_KEY })).status).toBe(
          200,
        );
        const res = await request(`${gw.gatewayUrl('keyed')}/anthropic/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-aig-authorization': `Bearer ${runToken}` },
          body: JSON.stringify({
            model: 'claude-sonnet-4-5',
            max_tokens: 10,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        await res.body.text();
        expect(res.statusCode).toBe(200);
        expect(mock.requests.at(-1)!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
        expect(mock.requests.at(-1)!.headers['authorization']).toBeUndefined();
      });

      it('byok_only replaces the request’s own key with the stored one, and refuses when none is stored', async () => {
        const none = await chat('strict', { authorization: 'Bearer sk-own' });
        expect(none.status).toBe(400);
        expect(none.json().internalCode).toBe(2042);
        expect(none.json().message).toMatch(/byok_only/);
        expect((await addKey('strict', { provider_slug: 'openai', secret: OPENAI_KEY })).status).toBe(200);
        await chat('strict', { authorization: 'Bearer sk-own' });
        expect(lastAuth()).toBe(`Bearer ${OPENAI_KEY}`);
      });

      it('cf-aig-no-wholesale with no credential anywhere is a 400', async () => {
        await gw.gatehouse.app.gateways.create('local', 'bare', {
          ...DEFAULT_SETTINGS,
          authentication: true,
        });
        const r = await chat('bare', { 'cf-aig-no-wholesale': 'true' });
        expect(r.status).toBe(400);
        expect(r.json().internalCode).toBe(2042);
      });

      it('rotation takes effect on the next request; deletion stops the injection', async () => {
        const list = await gw.api('GET', '/gateways/keyed/provider_configs');
        const id = list.json.result.find(
          (k: any) => k.provider_slug === 'openai' && k.alias === 'default',
        ).id;
        const rotated = await gw.api('PATCH', `/gateways/keyed/provider_configs/${id}`, {
          secret: 'sk-rotated-key-000111222333',
        });
        expect(rotated.status).toBe(200);
        await chat('keyed');
        expect(lastAuth()).toBe('Bearer sk-rotated-key-000111222333');
        expect((await gw.api('DELETE', `/gateways/keyed/provider_configs/${id}`)).status).toBe(200);
        await chat('keyed');
        expect(lastAuth()).toBeUndefined();
      });

      it('the database holds no stored key in clear, and nothing leaks into logs', async () => {
        await gw.flushLogs();
        const logs = await gw.api('GET', '/gateways/keyed/logs?per_page=1000');
        expect(JSON.stringify(logs.json)).not.toMatch(/sk-stored|sk-ant-stored|sk-rotated/);
        const secrets = [OPENAI_KEY, BACKUP_KEY, ANTHROPIC_KEY, 'sk-rotated-key-000111222333'];
        if (database.name === 'postgres') {
          const url = (await database.env({ shared: true }))['GATEHOUSE_DATABASE_URL']!;
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          const dump = (await client.query("SELECT string_agg(t::text, '|') AS all FROM provider_keys t"))
            .rows[0].all as string;
          await client.end();
          expect(dump.length).toBeGreaterThan(0);
          for (const secret of secrets) expect(dump).not.toContain(secret);
        }
        for (const file of readdirSync(gw.dataDir)) {
          if (!file.startsWith('gatehouse.db')) continue;
          const bytes = readFileSync(join(gw.dataDir, file));
          for (const secret of secrets) expect(bytes.includes(Buffer.from(secret))).toBe(false);
        }
      });

      it('a read token cannot add keys', async () => {
        const reader = await gw.gatehouse.app.tokens.create('local', {
          name: 'ro',
          permissions: ['read'],
          gateways: null,
        });
        const r = await gw.api(
          'POST',
          '/gateways/keyed/provider_configs',
          { provider_slug: 'openai', alias: 'x', secret: 'sk-x-1234567890' },
          reader.value,
        );
        expect(r.status).toBe(403);
      });

      it('keys survive a restart (sealed with the master key) and fail loudly under another master key', async () => {
        // Its own gateway: on SQLite a data dir has one process at a time, so this one is stopped
        // before the next starts on the same storage.
        const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-byok-restart-'));
        const env = async (key: string) => ({
          ...mockEnv,
          ...(await database.env({ shared: true })),
          GATEHOUSE_SECRET_KEY: key.repeat(64),
        });
        try {
          const first = await startGatehouse(await env('a'), { dataDir });
          try {
            if (!first.gatehouse.app.gateways.get('local', 'restarts')) {
              await first.gatehouse.app.gateways.create('local', 'restarts', {
                ...DEFAULT_SETTINGS,
                authentication: true,
              });
            }
            const added = await first.api('POST', '/gateways/restarts/provider_configs', {
              provider_slug: 'openai',
              alias: 'persisted',
              secret: 'sk-persisted-key-5555666677',
            });
            expect(added.status).toBe(200);
          } finally {
            await first.close();
          }
          const second = await startGatehouse(await env('a'), { dataDir });
          try {
            const token = (
              await second.gatehouse.app.tokens.create('local', {
                name: 'r2',
                permissions: ['run'],
                gateways: null,
              })
            ).value;
            const res = await request(`${second.gatewayUrl('restarts')}/openai/chat/completions`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'cf-aig-authorization': `Bearer ${token}`,
                'cf-aig-byok-alias': 'persisted',
              },
              body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
            });
            await res.body.text();
            expect(lastAuth()).toBe('Bearer sk-persisted-key-5555666677');
          } finally {
            await second.close();
          }
          await expect(startGatehouse(await env('b'), { dataDir })).rejects.toThrow(/decrypt/);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      });

      it('signs Bedrock requests with SigV4 from stored AWS credentials', async () => {
        const creds = {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
          region: 'us-west-2',
        };
        expect(
          (await addKey('keyed', { provider_slug: 'aws-bedrock', secret: JSON.stringify(creds) })).status,
        ).toBe(200);
        const bad = await addKey('keyed', {
          provider_slug: 'aws-bedrock',
          alias: 'broken',
          secret: '{"accessKeyId": 1}',
        });
        expect(bad.status).toBe(400);
        const res = await request(
          `${gw.gatewayUrl('keyed')}/aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'cf-aig-authorization': `Bearer ${runToken}` },
            body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
          },
        );
        await res.body.text();
        const sent = mock.requests.at(-1)!.headers;
        expect(sent['authorization']).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
        );
        expect(sent['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
        expect(JSON.stringify(sent)).not.toContain(creds.secretAccessKey);
      });
    });
  });
}
