import { z } from 'zod';

/** The config file's shape. Every key is optional; defaults live in `defaults.ts`. */
export const fileConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    data_dir: z.string().min(1),
    account_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-", at most 64'),
    admin_token: z.string().min(16, 'at least 16 characters'),
    providers: z.record(z.string(), z.object({ base_url: z.url() }).strict()),
    limits: z
      .object({
        max_request_bytes: z.number().int().positive(),
      })
      .strict()
      .partial(),
    upstream: z
      .object({
        connect_timeout_ms: z.number().int().positive(),
        headers_timeout_ms: z.number().int().positive(),
        body_timeout_ms: z.number().int().positive(),
      })
      .strict()
      .partial(),
    logs: z
      .object({
        flush_interval_ms: z.number().int().positive(),
        batch_size: z.number().int().positive(),
        max_body_bytes: z.number().int().nonnegative(),
        tail_buffer_bytes: z.number().int().positive(),
        max_queue_bytes: z.number().int().positive(),
      })
      .strict()
      .partial(),
    shutdown_grace_ms: z.number().int().nonnegative(),
    cache: z
      .object({
        store: z.enum(['memory', 'sqlite', 'redis']),
        max_bytes: z.number().int().positive(),
      })
      .strict()
      .partial(),
    redis_url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
    database_url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
    database_query_timeout_ms: z.number().int().min(0).max(86_400_000),
    pricing: z
      .object({ file: z.string().min(1) })
      .strict()
      .partial(),
    custom_providers: z
      .object({ allow_http_hosts: z.array(z.string().min(1).max(253)) })
      .strict()
      .partial(),
  })
  .strict()
  .partial();

export type FileConfig = z.infer<typeof fileConfigSchema>;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  accountId: string;
  /** Set when given by env or file; otherwise the data dir's generated token is used. */
  adminToken: string | undefined;
  /** Base URL overrides by provider slug, without trailing slash. */
  providerBaseUrls: Record<string, string>;
  maxRequestBytes: number;
  upstream: { connectTimeoutMs: number; headersTimeoutMs: number; bodyTimeoutMs: number };
  logs: {
    flushIntervalMs: number;
    batchSize: number;
    maxBodyBytes: number;
    tailBufferBytes: number;
    maxQueueBytes: number;
  };
  shutdownGraceMs: number;
  cache: { store: 'memory' | 'sqlite' | 'redis'; maxBytes: number };
  /** Shared state for many nodes (cache today); required when `cache.store` is `redis`. */
  redisUrl: string | undefined;
  /** Postgres for config and logs, shared by every node; the embedded SQLite file when unset. */
  databaseUrl: string | undefined;
  /** Postgres: a statement running longer is cancelled; a database silent for longer is given up on. 0: none. */
  databaseQueryTimeoutMs: number;
  /**
   * The master key that seals stored provider keys (`GATEHOUSE_SECRET_KEY`, environment only so it
   * never sits in a config file next to the data); else `{data_dir}/secret-key`, created on first start.
   */
  secretKey: string | undefined;
  /** A JSON price table (data/prices.json's shape) layered over the shipped one. */
  pricesFile: string | undefined;
  /** Hosts a custom provider may reach over plain http (local model servers); https otherwise. */
  allowHttpHosts: string[];
  /**
   * OpenTelemetry's own variables, read as its SDKs read them, for the resource of every exported
   * span: `OTEL_RESOURCE_ATTRIBUTES` (parsed) and `OTEL_SERVICE_NAME`.
   */
  otel: { resourceAttributes: Record<string, string> | undefined; serviceName: string | undefined };
}

/** Where each top-level value came from, for the startup banner. */
export type ConfigSources = Record<string, string>;
