import type { Dispatcher } from 'undici';
import type { Coalescer } from '../cache/coalesce.ts';
import type { CacheStore } from '../cache/types.ts';
import type { Config } from '../config/schema.ts';
import type { PriceTable } from '../costs/prices.ts';
import type { CustomProviderRegistry } from '../custom-providers/registry.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { GatewayRegistry } from '../gateways/registry.ts';
import type { GoogleTokenSource } from '../keys/google-service-account.ts';
import type { ProviderKeyRegistry } from '../keys/registry.ts';
import type { LimitCounter } from '../limits/counter.ts';
import type { AnalyticsQuery, Series } from '../logs/analytics.ts';
import type { LogQueries } from '../logs/queries.ts';
import type { LogTailHub } from '../logs/tail-hub.ts';
import type { LogWriter } from '../logs/writer.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { OtelExporter } from '../otel/exporter.ts';
import type { TokenRegistry } from '../tokens/registry.ts';

/** Everything a request handler may use; built once by `createApp`, passed down explicitly. */
export interface AppContext {
  config: Config;
  gateways: GatewayRegistry;
  tokens: TokenRegistry;
  customProviders: CustomProviderRegistry;
  providerKeys: ProviderKeyRegistry;
  /** Access tokens for Google service accounts (Vertex AI on `/compat`), cached until near expiry. */
  googleTokens: GoogleTokenSource;
  /** Which database holds config and logs, for the banner. */
  database: { dialect: 'sqlite' | 'postgres'; where: string };
  /** Tells other nodes sharing the database that config changed. */
  changes: ChangeFeed;
  logs: LogWriter;
  logQueries: LogQueries;
  /** Live-tail clients subscribe here: this node's entries, and on Postgres every node's. */
  tail: LogTailHub;
  /** Time series over the logs (the analytics API). */
  analytics: (q: AnalyticsQuery) => Promise<Series[]>;
  dispatcher: Dispatcher;
  cache: CacheStore;
  /** Rate and spend limit counters: in memory on one node, in Redis when one is configured. */
  limits: LimitCounter;
  /** Spans to the gateways' OpenTelemetry collectors. */
  otel: OtelExporter;
  /** What `/metrics` exposes. */
  metrics: GatewayMetrics;
  /** Model prices: the shipped table, with the operator's file over it. */
  prices: PriceTable;
  coalescer: Coalescer;
  /**
   * Says that a request under spend rules had no cost to charge them (no price, no token counts):
   * the first time at once, then at most every 10 minutes with a count.
   */
  unchargedSpend: (message: string) => void;
  /** Operational messages (never request contents or secrets). */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}
