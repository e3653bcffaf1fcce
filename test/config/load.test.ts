import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../../src/config/load.ts';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function dir(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  made.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('loadConfig', () => {
  it('uses the defaults when nothing is set, and says so', () => {
    const cwd = dir();
    const { config, sources, file } = loadConfig({}, cwd);
    expect(file).toBeUndefined();
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8787);
    expect(config.dataDir).toBe(join(cwd, '.gatehouse'));
    expect(config.accountId).toBe('local');
    expect(config.adminToken).toBeUndefined();
    expect(config.maxRequestBytes).toBe(DEFAULTS.maxRequestBytes);
    expect(sources['port']).toBe('default');
    expect(sources['host']).toBe('default');
  });

  it('environment beats file beats defaults, and records where each value came from', () => {
    const cwd = dir({
      'gatehouse.config.json': JSON.stringify({ host: '0.0.0.0', port: 9000, account_id: 'acme' }),
    });
    const { config, sources } = loadConfig({ GATEHOUSE_PORT: '9100' }, cwd);
    expect(config.port).toBe(9100);
    expect(sources['port']).toBe('env GATEHOUSE_PORT');
    expect(config.host).toBe('0.0.0.0');
    expect(sources['host']).toBe(`file ${join(cwd, 'gatehouse.config.json')}`);
    expect(config.accountId).toBe('acme');
    expect(config.dataDir).toBe(join(cwd, '.gatehouse'));
    expect(sources['data_dir']).toBe('default');
  });

  it('reads YAML and an explicit --config path', () => {
    const cwd = dir({
      'custom.yaml': 'port: 7000\nproviders:\n  openai:\n    base_url: https://proxy.example/v1/\n',
    });
    const { config, sources } = loadConfig({}, cwd, 'custom.yaml');
    expect(config.port).toBe(7000);
    expect(config.providerBaseUrls['openai']).toBe('https://proxy.example/v1');
    expect(sources['providers.openai.base_url']).toContain('custom.yaml');
  });

  it('maps GATEHOUSE_UPSTREAM_<SLUG> to the provider slug, "_" as "-"', () => {
    const { config, sources } = loadConfig(
      {
        GATEHOUSE_UPSTREAM_OPENAI: 'http://127.0.0.1:9100/v1',
        GATEHOUSE_UPSTREAM_GOOGLE_AI_STUDIO: 'http://127.0.0.1:9101',
      },
      dir({
        'gatehouse.config.json': JSON.stringify({
          providers: { openai: { base_url: 'https://file.example' } },
        }),
      }),
    );
    expect(config.providerBaseUrls['openai']).toBe('http://127.0.0.1:9100/v1');
    expect(config.providerBaseUrls['google-ai-studio']).toBe('http://127.0.0.1:9101');
    expect(sources['providers.openai.base_url']).toBe('env GATEHOUSE_UPSTREAM_OPENAI');
  });

  it('bounds the log queue in bytes: logs.max_queue_bytes, or GATEHOUSE_LOG_MAX_QUEUE_BYTES', () => {
    expect(loadConfig({}, dir()).config.logs.maxQueueBytes).toBe(64 * 1024 * 1024);
    const file = dir({ 'gatehouse.config.json': JSON.stringify({ logs: { max_queue_bytes: 1_000_000 } }) });
    expect(loadConfig({}, file).config.logs.maxQueueBytes).toBe(1_000_000);
    const { config, sources } = loadConfig({ GATEHOUSE_LOG_MAX_QUEUE_BYTES: '2000000' }, file);
    expect(config.logs.maxQueueBytes).toBe(2_000_000);
    expect(sources['logs.max_queue_bytes']).toBe('env GATEHOUSE_LOG_MAX_QUEUE_BYTES');
    expect(() => loadConfig({ GATEHOUSE_LOG_MAX_QUEUE_BYTES: '10' }, dir())).toThrow(
      /GATEHOUSE_LOG_MAX_QUEUE_BYTES: expected an integer from 1024/,
    );
  });

  it('bounds Postgres queries: database_query_timeout_ms, or GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS', () => {
    expect(loadConfig({}, dir()).config.databaseQueryTimeoutMs).toBe(30_000);
    const file = dir({ 'gatehouse.config.json': JSON.stringify({ database_query_timeout_ms: 0 }) });
    expect(loadConfig({}, file).config.databaseQueryTimeoutMs).toBe(0);
    const { config, sources } = loadConfig({ GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '120000' }, file);
    expect(config.databaseQueryTimeoutMs).toBe(120_000);
    expect(sources['database_query_timeout_ms']).toBe('env GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS');
    expect(() => loadConfig({ GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '-1' }, dir())).toThrow(
      /GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: expected an integer from 0 to 86400000/,
    );
  });

  it("reads OpenTelemetry's own OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, and refuses a malformed list", () => {
    expect(loadConfig({}, dir()).config.otel).toEqual({
      resourceAttributes: undefined,
      serviceName: undefined,
    });
    const { config } = loadConfig(
      {
        OTEL_RESOURCE_ATTRIBUTES: ' deployment.environment=prod , team=search%2Cplatform,,region=eu%20west ',
        OTEL_SERVICE_NAME: 'llm-gateway',
      },
      dir(),
    );
    expect(config.otel).toEqual({
      resourceAttributes: { 'deployment.environment': 'prod', team: 'search,platform', region: 'eu west' },
      serviceName: 'llm-gateway',
    });
    expect(() => loadConfig({ OTEL_RESOURCE_ATTRIBUTES: 'team=search,oops' }, dir())).toThrow(
      'OTEL_RESOURCE_ATTRIBUTES: "oops" is not key=value; write key=value pairs separated by commas, values percent-encoded',
    );
    expect(() => loadConfig({ OTEL_RESOURCE_ATTRIBUTES: 'team=100%' }, dir())).toThrow(
      /OTEL_RESOURCE_ATTRIBUTES: the value of "team" is not percent-encoded text/,
    );
    expect(() => loadConfig({ OTEL_RESOURCE_ATTRIBUTES: '=x' }, dir())).toThrow(/"=x" is not key=value/);
  });

  it('rejects bad values with a message naming the setting and what is allowed', () => {
    expect(() => loadConfig({ GATEHOUSE_PORT: 'eighty' }, dir())).toThrow(
      /GATEHOUSE_PORT: expected an integer from 0 to 65535, got "eighty"/,
    );
    expect(() => loadConfig({ GATEHOUSE_UPSTREAM_OPENAI: 'not a url' }, dir())).toThrow(ConfigError);
    expect(() => loadConfig({ GATEHOUSE_ADMIN_TOKEN: 'short' }, dir())).toThrow(/at least 16/);
    expect(() => loadConfig({}, dir({ 'gatehouse.config.json': '{"port": "x", "colour": 1}' }))).toThrow(
      /port: .*; \(root\): Unrecognized key/,
    );
    expect(() => loadConfig({}, dir({ 'gatehouse.config.json': '{nope' }))).toThrow(/cannot parse/);
    expect(() => loadConfig({}, dir(), 'missing.json')).toThrow(/config file not found/);
  });
});
