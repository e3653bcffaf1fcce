import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import {
  openCredentials,
  REDACTED,
  redactSettings,
  restoreSecrets,
  sealCredentials,
} from '../../src/gateways/secrets.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const REQUIRED = {
  cache_ttl: 0,
  cache_invalidate_on_update: false,
  collect_logs: true,
  rate_limiting_interval: 0,
  rate_limiting_limit: 0,
};
const COLLECTOR = 'https://collector.example/v1/traces';
const withSecrets = {
  ...REQUIRED,
  otel: [
    { url: COLLECTOR, headers: { 'x-api-key': 'k-secret-123' }, authorization: 'Bearer collector-secret' },
  ],
  stripe: { authorization: 'sk_live_secret', usage_events: [] },
};
const stored = (id: string) => ctx.gw.gatehouse.app.gateways.get('local', id)!.settings;

describe('credentials a gateway holds for other services are write-only', () => {
  it('no reader sees them: the API shows [redacted], the admin included', async () => {
    expect((await ctx.gw.api('POST', '/gateways', { id: 'traced', ...withSecrets })).status).toBe(200);
    const reader = (await ctx.gw.api('POST', '/tokens', { name: 'r', permissions: ['read'] })).json.result
      .value;
    for (const token of [reader, ctx.gw.adminToken]) {
      for (const path of ['/gateways/traced', '/gateways']) {
        const r = await ctx.gw.api('GET', path, undefined, token);
        expect(r.status).toBe(200);
        expect(JSON.stringify(r.json)).not.toMatch(/k-secret-123|collector-secret|sk_live_secret/);
      }
    }
    expect((await ctx.gw.api('GET', '/gateways/traced')).json.result).toMatchObject({
      otel: [{ url: COLLECTOR, headers: { 'x-api-key': REDACTED }, authorization: REDACTED }],
      stripe: { authorization: REDACTED },
    });
    expect(stored('traced').otel![0]!.authorization).toBe('Bearer collector-secret');
  });

  it('a GET sent back as a PUT keeps them; a new value replaces one', async () => {
    const read = (await ctx.gw.api('GET', '/gateways/traced')).json.result;
    expect((await ctx.gw.api('PUT', '/gateways/traced', { ...read, cache_ttl: 120 })).status).toBe(200);
    expect(stored('traced')).toMatchObject({
      cache_ttl: 120,
      otel: [{ headers: { 'x-api-key': 'k-secret-123' }, authorization: 'Bearer collector-secret' }],
      stripe: { authorization: 'sk_live_secret' },
    });
    const otel = [{ ...read.otel[0], authorization: 'Bearer rotated' }];
    expect((await ctx.gw.api('PUT', '/gateways/traced', { ...read, otel })).status).toBe(200);
    expect(stored('traced').otel![0]).toMatchObject({
      headers: { 'x-api-key': 'k-secret-123' },
      authorization: 'Bearer rotated',
    });
  });

  it('[redacted] never travels to another collector, nor becomes a stored value', async () => {
    const read = (await ctx.gw.api('GET', '/gateways/traced')).json.result;
    const moved = [{ ...read.otel[0], url: 'https://elsewhere.example/v1/traces' }];
    const r = await ctx.gw.api('PUT', '/gateways/traced', { ...read, otel: moved });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatchObject({ code: 7001, path: ['otel', 0, 'headers', 'x-api-key'] });
    expect(r.json.errors[0].message).toMatch(
      /keeps the stored value, and no collector with this url has one/,
    );
    expect(stored('traced').otel![0]!.url).toBe(COLLECTOR);

    const created = await ctx.gw.api('POST', '/gateways', {
      id: 'fresh',
      ...REQUIRED,
      stripe: { authorization: REDACTED, usage_events: [] },
    });
    expect(created.status).toBe(400);
    expect(created.json.errors[0].path).toEqual(['stripe', 'authorization']);
    expect((await ctx.gw.api('GET', '/gateways/fresh')).status).toBe(404);
  });

  it('the database holds them sealed with the master key, and a restart reads them back', async () => {
    expect(ctx.gw.gatehouse.app.database.dialect).toBe('sqlite');
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(`${ctx.gw.dataDir}/gatehouse.db`, { readOnly: true });
    const row = db.prepare("SELECT settings FROM gateways WHERE id = 'traced'").get() as { settings: string };
    db.close();
    expect(row.settings).not.toMatch(/k-secret-123|collector-secret|rotated|sk_live_secret/);
    expect(JSON.parse(row.settings).otel[0].authorization).toMatch(/^sealed:v1\./);

    await ctx.gw.gatehouse.app.gateways.load();
    expect(stored('traced')).toMatchObject({
      otel: [{ headers: { 'x-api-key': 'k-secret-123' }, authorization: 'Bearer rotated' }],
      stripe: { authorization: 'sk_live_secret' },
    });
  });

  it('a sealed value opens only with its key and in its place; a value stored before sealing reads as it is', () => {
    const key = Buffer.alloc(32, 7);
    const s = { ...DEFAULT_SETTINGS, ...withSecrets };
    const sealed = sealCredentials(s, key, 'local/a');
    expect(openCredentials(sealed, key, 'local/a')).toEqual(s);
    expect(() => openCredentials(sealed, Buffer.alloc(32, 8), 'local/a')).toThrow(/could not be decrypted/);
    expect(() => openCredentials(sealed, key, 'local/b')).toThrow(/could not be decrypted/);
    expect(openCredentials(s, key, 'local/a')).toEqual(s);
  });

  it('redact and restore are inverse for what a client sends back unchanged', () => {
    const s = {
      ...DEFAULT_SETTINGS,
      ...withSecrets,
      otel: [...withSecrets.otel, { url: 'https://b.example', headers: {} }],
    };
    expect(restoreSecrets(redactSettings(s), s)).toEqual(s);
  });
});
