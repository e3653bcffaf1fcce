import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { DEFAULT_MAX_QUEUE_BYTES } from '../logs/writer.ts';
import { parseResourceAttributes } from '../otel/resource.ts';
import type { Config, ConfigSources, FileConfig } from './schema.ts';
import { fileConfigSchema } from './schema.ts';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  dataDir: './.gatehouse',
  accountId: 'local',
  maxRequestBytes: 50 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 600_000,
  bodyTimeoutMs: 300_000,
  flushIntervalMs: 1000,
  batchSize: 500,
  maxBodyBytes: 1024 * 1024,
  tailBufferBytes: 4 * 1024 * 1024,
  maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
  shutdownGraceMs: 30_000,
  cacheStore: 'memory',
  cacheMaxBytes: 256 * 1024 * 1024,
  databaseQueryTimeoutMs: 30_000,
} as const;

const CONFIG_FILES = ['gatehouse.config.json', 'gatehouse.config.yaml', 'gatehouse.config.yml'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: Config;
  sources: ConfigSources;
  file: string | undefined;
}

/** Environment beats file beats defaults. `explicitFile` is `--config PATH`. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string, explicitFile?: string): LoadedConfig {
  const file = findConfigFile(cwd, explicitFile ?? env['GATEHOUSE_CONFIG']);
  const fromFile = file ? readConfigFile(file) : {};
  const sources: ConfigSources = {};
  const fileLabel = file ? `file ${file}` : '';

  function pick<T>(
    key: string,
    envName: string,
    envValue: T | undefined,
    fileValue: T | undefined,
    dflt: T,
  ): T {
    if (envValue !== undefined) {
      sources[key] = `env ${envName}`;
      return envValue;
    }
    if (fileValue !== undefined) {
      sources[key] = fileLabel;
      return fileValue;
    }
    sources[key] = 'default';
    return dflt;
  }

  const host = pick('host', 'GATEHOUSE_HOST', nonEmpty(env['GATEHOUSE_HOST']), fromFile.host, DEFAULTS.host);
  const port = pick(
    'port',
    'GATEHOUSE_PORT',
    envInt(env, 'GATEHOUSE_PORT', 0, 65535),
    fromFile.port,
    DEFAULTS.port,
  );
  const dataDir = resolve(
    cwd,
    pick(
      'data_dir',
      'GATEHOUSE_DATA_DIR',
      nonEmpty(env['GATEHOUSE_DATA_DIR']),
      fromFile.data_dir,
      DEFAULTS.dataDir,
    ),
  );
  const accountEnv = nonEmpty(env['GATEHOUSE_ACCOUNT_ID']);
  if (accountEnv !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(accountEnv)) {
    throw new ConfigError('GATEHOUSE_ACCOUNT_ID: letters, digits, "_" and "-", at most 64 characters');
  }
  const accountId = pick(
    'account_id',
    'GATEHOUSE_ACCOUNT_ID',
    accountEnv,
    fromFile.account_id,
    DEFAULTS.accountId,
  );
  const adminEnv = nonEmpty(env['GATEHOUSE_ADMIN_TOKEN']);
  if (adminEnv !== undefined && adminEnv.length < 16) {
    throw new ConfigError('GATEHOUSE_ADMIN_TOKEN: at least 16 characters');
  }
  const adminToken = pick<string | undefined>(
    'admin_token',
    'GATEHOUSE_ADMIN_TOKEN',
    adminEnv,
    fromFile.admin_token,
    undefined,
  );

  const providerBaseUrls: Record<string, string> = {};
  for (const [slug, p] of Object.entries(fromFile.providers ?? {})) {
    providerBaseUrls[slug] = trimSlash(p.base_url);
    sources[`providers.${slug}.base_url`] = fileLabel;
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('GATEHOUSE_UPSTREAM_') || !value) continue;
    const slug = name.slice('GATEHOUSE_UPSTREAM_'.length).toLowerCase().replaceAll('_', '-');
    if (!z.url().safeParse(value).success) throw new ConfigError(`${name}: not a URL: ${value}`);
    providerBaseUrls[slug] = trimSlash(value);
    sources[`providers.${slug}.base_url`] = `env ${name}`;
  }

  const storeEnv = nonEmpty(env['GATEHOUSE_CACHE_STORE']);
  if (storeEnv !== undefined && storeEnv !== 'memory' && storeEnv !== 'sqlite' && storeEnv !== 'redis') {
    throw new ConfigError(`GATEHOUSE_CACHE_STORE: one of "memory", "sqlite", "redis", got "${storeEnv}"`);
  }
  const redisEnv = nonEmpty(env['GATEHOUSE_REDIS_URL']);
  if (redisEnv !== undefined && !/^rediss?:\/\//.test(redisEnv)) {
    throw new ConfigError('GATEHOUSE_REDIS_URL: a redis:// or rediss:// URL');
  }
  const cacheStore = pick<'memory' | 'sqlite' | 'redis'>(
    'cache.store',
    'GATEHOUSE_CACHE_STORE',
    storeEnv as 'memory' | 'sqlite' | 'redis' | undefined,
    fromFile.cache?.store,
    DEFAULTS.cacheStore,
  );
  const redisUrl = pick<string | undefined>(
    'redis_url',
    'GATEHOUSE_REDIS_URL',
    redisEnv,
    fromFile.redis_url,
    undefined,
  );
  const databaseEnv = nonEmpty(env['GATEHOUSE_DATABASE_URL']);
  if (databaseEnv !== undefined && !/^postgres(ql)?:\/\//.test(databaseEnv)) {
    throw new ConfigError('GATEHOUSE_DATABASE_URL: a postgres:// or postgresql:// URL');
  }
  const databaseUrl = pick<string | undefined>(
    'database_url',
    'GATEHOUSE_DATABASE_URL',
    databaseEnv,
    fromFile.database_url,
    undefined,
  );
  if (cacheStore === 'redis' && !redisUrl) {
    throw new ConfigError(
      'cache.store is "redis" but no Redis is configured: set GATEHOUSE_REDIS_URL or redis_url',
    );
  }

  const resourceEnv = nonEmpty(env['OTEL_RESOURCE_ATTRIBUTES']);
  let resourceAttributes: Record<string, string> | undefined;
  try {
    resourceAttributes = resourceEnv === undefined ? undefined : parseResourceAttributes(resourceEnv);
  } catch (err) {
    throw new ConfigError(
      `OTEL_RESOURCE_ATTRIBUTES: ${(err as Error).message}; write key=value pairs separated by commas, values percent-encoded`,
    );
  }

  const config: Config = {
    host,
    port,
    dataDir,
    accountId,
    adminToken,
    secretKey: nonEmpty(env['GATEHOUSE_SECRET_KEY']),
    pricesFile: pick(
      'pricing.file',
      'GATEHOUSE_PRICES_FILE',
      nonEmpty(env['GATEHOUSE_PRICES_FILE']),
      fromFile.pricing?.file,
      undefined,
    ),
    allowHttpHosts: pick(
      'custom_providers.allow_http_hosts',
      'GATEHOUSE_ALLOW_HTTP_HOSTS',
      nonEmpty(env['GATEHOUSE_ALLOW_HTTP_HOSTS'])
        ?.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      fromFile.custom_providers?.allow_http_hosts?.map((h) => h.toLowerCase()),
      [],
    ),
    providerBaseUrls,
    maxRequestBytes: pick(
      'limits.max_request_bytes',
      'GATEHOUSE_MAX_REQUEST_BYTES',
      envInt(env, 'GATEHOUSE_MAX_REQUEST_BYTES', 1, Number.MAX_SAFE_INTEGER),
      fromFile.limits?.max_request_bytes,
      DEFAULTS.maxRequestBytes,
    ),
    upstream: {
      connectTimeoutMs: fromFile.upstream?.connect_timeout_ms ?? DEFAULTS.connectTimeoutMs,
      headersTimeoutMs: fromFile.upstream?.headers_timeout_ms ?? DEFAULTS.headersTimeoutMs,
      bodyTimeoutMs: pick(
        'upstream.body_timeout_ms',
        'GATEHOUSE_STREAM_IDLE_TIMEOUT_MS',
        envInt(env, 'GATEHOUSE_STREAM_IDLE_TIMEOUT_MS', 1, 86_400_000),
        fromFile.upstream?.body_timeout_ms,
        DEFAULTS.bodyTimeoutMs,
      ),
    },
    logs: {
      flushIntervalMs: pick(
        'logs.flush_interval_ms',
        'GATEHOUSE_LOG_FLUSH_MS',
        envInt(env, 'GATEHOUSE_LOG_FLUSH_MS', 1, 3_600_000),
        fromFile.logs?.flush_interval_ms,
        DEFAULTS.flushIntervalMs,
      ),
      batchSize: fromFile.logs?.batch_size ?? DEFAULTS.batchSize,
      maxBodyBytes: pick(
        'logs.max_body_bytes',
        'GATEHOUSE_LOG_MAX_BODY_BYTES',
        envInt(env, 'GATEHOUSE_LOG_MAX_BODY_BYTES', 0, 64 * 1024 * 1024),
        fromFile.logs?.max_body_bytes,
        DEFAULTS.maxBodyBytes,
      ),
      tailBufferBytes: pick(
        'logs.tail_buffer_bytes',
        'GATEHOUSE_LOG_TAIL_BUFFER_BYTES',
        envInt(env, 'GATEHOUSE_LOG_TAIL_BUFFER_BYTES', 1024, 1024 * 1024 * 1024),
        fromFile.logs?.tail_buffer_bytes,
        DEFAULTS.tailBufferBytes,
      ),
      maxQueueBytes: pick(
        'logs.max_queue_bytes',
        'GATEHOUSE_LOG_MAX_QUEUE_BYTES',
        envInt(env, 'GATEHOUSE_LOG_MAX_QUEUE_BYTES', 1024, Number.MAX_SAFE_INTEGER),
        fromFile.logs?.max_queue_bytes,
        DEFAULTS.maxQueueBytes,
      ),
    },
    shutdownGraceMs: pick(
      'shutdown_grace_ms',
      'GATEHOUSE_SHUTDOWN_GRACE_MS',
      envInt(env, 'GATEHOUSE_SHUTDOWN_GRACE_MS', 0, 3_600_000),
      fromFile.shutdown_grace_ms,
      DEFAULTS.shutdownGraceMs,
    ),
    cache: {
      store: cacheStore,
      maxBytes: pick(
        'cache.max_bytes',
        'GATEHOUSE_CACHE_MAX_BYTES',
        envInt(env, 'GATEHOUSE_CACHE_MAX_BYTES', 1024, Number.MAX_SAFE_INTEGER),
        fromFile.cache?.max_bytes,
        DEFAULTS.cacheMaxBytes,
      ),
    },
    redisUrl,
    databaseUrl,
    otel: { resourceAttributes, serviceName: nonEmpty(env['OTEL_SERVICE_NAME']) },
    databaseQueryTimeoutMs: pick(
      'database_query_timeout_ms',
      'GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS',
      envInt(env, 'GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS', 0, 86_400_000),
      fromFile.database_query_timeout_ms,
      DEFAULTS.databaseQueryTimeoutMs,
    ),
  };
  return { config, sources, file };
}

function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function readConfigFile(path: string): FileConfig {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: cannot parse: ${(err as Error).message}`);
  }
  const parsed = fileConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${path}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function envInt(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
