import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { Coalescer } from '../cache/coalesce.ts';
import { createCacheStore } from '../cache/create-store.ts';
import { watchForCachePurges } from '../cache/invalidation.ts';
import { purgesAcrossNodes } from '../cache/purges-across-nodes.ts';
import type { Config } from '../config/schema.ts';
import { loadPriceTable } from '../costs/prices.ts';
import { CustomProviderRegistry } from '../custom-providers/registry.ts';
import { localFeed, postgresFeed } from '../db/change-feed.ts';
import { migrate } from '../db/migrations.ts';
import { CONNECT_TIMEOUT_MS, type OpenDatabase, openDatabase } from '../db/open.ts';
import { startPostgresLogThread } from '../db/postgres-log-thread.ts';
import { openSqlite } from '../db/sqlite.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { GatewayRegistry } from '../gateways/registry.ts';
import { malformedRequestAnswer, sendGatewayError, sendJson, toGatewayError } from '../http/respond.ts';
import { GoogleTokenSource } from '../keys/google-service-account.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import { ProviderKeyRegistry } from '../keys/registry.ts';
import { memoryCounter } from '../limits/memory-counter.ts';
import { analytics } from '../logs/analytics.ts';
import { LogJournal } from '../logs/journal.ts';
import { postgresLogSink } from '../logs/postgres-sink.ts';
import { LogQueries, type LogRowRead } from '../logs/queries.ts';
import { retainingSink } from '../logs/retention.ts';
import { sqliteLogSink } from '../logs/sqlite-sink.ts';
import { tailAcrossNodes } from '../logs/tail-across-nodes.ts';
import { LogTailHub } from '../logs/tail-hub.ts';
import { workerLogSink } from '../logs/worker-sink.ts';
import { LogWriter, type Refusal } from '../logs/writer.ts';
import { createManagementHandler } from '../management/router.ts';
import { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { serveMetrics } from '../metrics/serve.ts';
import { OtelExporter } from '../otel/exporter.ts';
import { serviceResource } from '../otel/resource.ts';
import { compatModels } from '../proxy/compat.ts';
import { handleProviderRequest } from '../proxy/pipeline.ts';
import { type DataPlaneRoute, parseDataPlaneUrl } from '../proxy/route.ts';
import { authenticate, resolveGateway } from '../proxy/stages.ts';
import { TokenRegistry } from '../tokens/registry.ts';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { settleWithin } from '../util/settle-within.ts';
import { type AdminToken, resolveAdminToken } from './admin-token.ts';
import type { AppContext } from './context.ts';
import { createDashboard, type Dashboard } from './dashboard.ts';

/**
 * On shutdown, how long the database gets to take the last log rows before they go to the journal
 * instead: a hung database must not hold the exit until the orchestrator's SIGKILL loses them.
 */
const LOG_STOP_SPILL_AFTER_MS = 5_000;
/** On shutdown, how long each connection (database, Redis, exporter) gets to close. */
const RELEASE_WITHIN_MS = 2_000;
/** Requests under spend rules that had no cost to charge: reported the first time, then this often. */
const UNCHARGED_REPORT_MS = 10 * 60_000;

export interface Gatehouse {
  app: AppContext;
  server: Server;
  adminToken: AdminToken;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish within the grace period, flushes logs. */
  close(): Promise<void>;
}

export interface CreateOptions {
  log?: AppContext['log'];
  /** Where the admin token came from when the config holds one (for the banner). */
  adminTokenSource?: string;
}

/** Builds a gateway without starting it: tests call `listen()` on port 0, the CLI on the configured port. */
export async function createGatehouse(config: Config, opts: CreateOptions = {}): Promise<Gatehouse> {
  const log = opts.log ?? ((level, message) => console[level === 'info' ? 'log' : level](message));
  const adminToken = resolveAdminToken(config.adminToken, opts.adminTokenSource ?? 'config', config.dataDir);
  const database = await openDatabase(config, log);
  try {
    return await assemble(config, log, adminToken, database);
  } catch (err) {
    // A start that fails (a stored key that will not open, a bad cache setting) releases what it opened.
    await database.close().catch(() => undefined);
    throw err;
  }
}

async function assemble(
  config: Config,
  log: AppContext['log'],
  adminToken: AdminToken,
  database: OpenDatabase,
): Promise<Gatehouse> {
  const { db } = database;

  const masterKey = loadMasterKey({ env: config.secretKey, dataDir: config.dataDir });
  const gateways = new GatewayRegistry(db, masterKey.key);
  const tokens = new TokenRegistry(db, adminToken.value);
  const customProviders = new CustomProviderRegistry(db);
  const providerKeys = new ProviderKeyRegistry(db, masterKey.key);
  await Promise.all([gateways.load(), tokens.load(), customProviders.load(), providerKeys.load()]);
  gateways.onChange((change) => {
    if (change.type !== 'deleted') return;
    const { accountId, id } = change.gateway;
    providerKeys.deleteGateway(accountId, id).catch((err: unknown) => {
      log('error', `removing the stored keys of deleted gateway ${id}: ${(err as Error).message}`);
    });
  });
  await gateways.ensureDefault(config.accountId);
  // Opened after everything that can fail at start, so a failed start leaves no listener behind.
  const changes = config.databaseUrl
    ? await postgresFeed(config.databaseUrl, log, { queryTimeoutMs: config.databaseQueryTimeoutMs })
    : localFeed();
  // Another node changed config in the shared database: reload it all (small tables, one query each).
  // One reload at a time, and one more if changes arrived meanwhile: an older read never lands last.
  let reloading: Promise<void> | undefined;
  let again = false;
  const reload = (): void => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = Promise.all([gateways.load(), tokens.load(), customProviders.load(), providerKeys.load()])
      .then(() => undefined)
      .catch((err: unknown) =>
        log('error', `reloading config changed by another node: ${(err as Error).message}`),
      )
      .finally(() => {
        reloading = undefined;
        if (again) {
          again = false;
          reload();
        }
      });
  };
  changes.onChange(reload);

  const refused = ({ ids, reason }: Refusal) =>
    log(
      'error',
      `log writer: the database refused ${ids.length} log row${ids.length === 1 ? '' : 's'} (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}), dropped; the rest of the batch is stored: ${reason.slice(0, 300)}`,
    );
  // Log batches are stored from a thread of their own: SQLite's writer thread, or on Postgres one
  // that encodes them for the wire; this thread falls back to storing them while it is gone.
  const postgresLogs = config.databaseUrl
    ? startPostgresLogThread({
        connectionString: config.databaseUrl,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        queryTimeoutMs: config.databaseQueryTimeoutMs,
        announceAs: changes.node,
        onError: (message) => log('warn', message),
      })
    : undefined;
  const sink = retainingSink(
    postgresLogs
      ? workerLogSink(
          postgresLogs,
          postgresLogSink(db, { announceAs: changes.node, onRefused: refused }),
          refused,
        )
      : database.writer && database.sqlite
        ? workerLogSink(database.writer, sqliteLogSink(database.sqlite, { onRefused: refused }), refused)
        : sqliteLogSink(database.sqlite!, { onRefused: refused }),
    // Its counts and deletes go where the log queries go: on SQLite, the writer thread.
    database.logsDb,
    (accountId, id) => gateways.get(accountId, id)?.settings,
  );
  const logs = new LogWriter(sink, {
    ...config.logs,
    journal: new LogJournal(join(config.dataDir, 'log-journal.ndjson')),
    onError: (err) => log('error', `log writer: ${(err as Error).message}`),
    onNotice: (message) => log('info', `log writer: ${message}`),
  });
  // The live tail: what this node stores, and on Postgres what the other nodes store, read back
  // only while someone here is tailing one of their gateways.
  const logQueries = new LogQueries(database.logsDb, { dialect: database.dialect });
  const tail = new LogTailHub();
  logs.onWritten((rows) => {
    if (tail.listening)
      tail.publish(rows.map(({ payload: _payload, ...row }) => ({ ...row, seq: 0 }) as LogRowRead));
  });
  if (config.databaseUrl) await tailAcrossNodes({ changes, queries: logQueries, tail, log });
  logs.start();

  // The SQLite cache store lives in the SQLite database, or, with Postgres, in a node-local file.
  let cacheDb: { close(): void } | undefined;
  const store = await createCacheStore(
    config,
    async () => {
      if (database.sqlite) return database.sqlite;
      const local = openSqlite(join(config.dataDir, 'cache.db'));
      await migrate(local.db, 'sqlite');
      cacheDb = { close: () => void local.db.destroy() };
      return local.raw;
    },
    log,
  );
  const everyGateway = () => gateways.all().map((g) => ({ accountId: g.accountId, gatewayId: g.id }));
  const cache = config.databaseUrl ? purgesAcrossNodes(store, changes, everyGateway, log) : store;
  watchForCachePurges(gateways, customProviders, cache, log);

  const limits = config.redisUrl
    ? await (await import('../limits/redis-counter.ts')).redisCounter(config.redisUrl, { log })
    : memoryCounter();

  const otel = new OtelExporter(log, serviceResource(config.otel));

  const dispatcher = new Agent({
    connect: { timeout: config.upstream.connectTimeoutMs },
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
  });

  const app: AppContext = {
    config,
    gateways,
    tokens,
    customProviders,
    providerKeys,
    googleTokens: new GoogleTokenSource(),
    database: { dialect: database.dialect, where: database.where },
    changes,
    logs,
    logQueries,
    tail,
    analytics: (q) => analytics(database.logsDb, q, { dialect: database.dialect }),
    dispatcher,
    cache,
    limits,
    prices: loadPriceTable(config.pricesFile),
    metrics: new GatewayMetrics(
      { queueDepth: () => logs.pending, spilled: () => logs.spilled, dropped: () => logs.dropped },
      cache.held && { held: () => cache.held!(), maxBytes: config.cache.maxBytes },
    ),
    otel,
    coalescer: new Coalescer(),
    unchargedSpend: atMostEvery(UNCHARGED_REPORT_MS, (message, times) =>
      log('warn', `${message}${sinceLastReport(times, 'requests not charged')}`),
    ),
    log,
  };
  const management = createManagementHandler(app);
  const dashboard = createDashboard();

  let inFlight = 0;
  let closing = false;
  let idle: (() => void) | undefined;

  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    if (closing) res.setHeader('connection', 'close');
    route(app, management, dashboard, req, res);
  });
  // Malformed requests never reach the handler; answer them plainly instead of hanging up.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable) socket.end(malformedRequestAnswer(err));
    else socket.destroy();
  });

  return {
    app,
    server,
    adminToken,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    async close() {
      closing = true;
      tail.endAll();
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(resolve, config.shutdownGraceMs);
        deadline.unref();
        idle = () => {
          clearTimeout(deadline);
          resolve();
        };
        server.close();
        server.closeIdleConnections();
        if (inFlight === 0) idle();
      });
      server.closeAllConnections();
      await logs.stop({ spillAfterMs: LOG_STOP_SPILL_AFTER_MS });
      // The rest only lets go of connections: one to a service that hangs must not hold the exit.
      const release = async (what: string, close: () => Promise<unknown>) => {
        if (!(await settleWithin(close(), RELEASE_WITHIN_MS)))
          log('warn', `shutdown: ${what} did not close within ${RELEASE_WITHIN_MS} ms; going on without it`);
      };
      await release('the OpenTelemetry exporter', () => otel.close());
      await release('the cache store', () => cache.close());
      await release('the limit counters', () => limits.close());
      await release('the upstream connections', () => dispatcher.close().catch(() => undefined));
      await release('the config change feed', () => changes.close());
      if (postgresLogs) await release('the Postgres log thread', () => postgresLogs.stop());
      await release('the database', () => database.close());
      cacheDb?.close();
    },
  };
}

function route(
  app: AppContext,
  management: (req: IncomingMessage, res: ServerResponse) => void,
  dashboard: Dashboard,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const url = req.url ?? '/';
  if (url.startsWith('/v1/')) {
    const r = parseDataPlaneUrl(url);
    if (!r) {
      req.resume();
      sendGatewayError(
        res,
        new GatewayError(
          'invalidPath',
          'expected /v1/{account_id}/{gateway_id}/{provider}/{path}, ids of letters, digits, "_" and "-"',
        ),
      );
      return;
    }
    if (r.provider === 'compat' && req.method === 'GET' && (r.path === 'models' || r.path === 'v1/models')) {
      req.resume();
      void serveCompatModels(app, req, res, r);
      return;
    }
    if (r.provider === undefined && req.method !== 'POST') {
      req.resume();
      sendGatewayError(
        res,
        new GatewayError(
          'notFound',
          `${req.method} /v1/{account}/{gateway}: the universal endpoint takes POST with a JSON array of steps`,
        ),
      );
      return;
    }
    handleProviderRequest(app, req, res, r).catch((err: unknown) => {
      // Every failure of the request itself is answered inside; this is a bug, not a crash.
      app.log('error', `request handling failed after its answer: ${(err as Error).stack}`);
    });
    return;
  }
  if (url.startsWith('/client/v4/')) {
    management(req, res);
    return;
  }
  if (url === '/metrics' || url.startsWith('/metrics?')) {
    serveMetrics(app, req, res);
    return;
  }
  if (dashboard.owns(req.method, url)) {
    dashboard.serve(req, res);
    return;
  }
  if (url === '/healthz') {
    sendJson(res, 200, { ok: true });
    return;
  }
  req.resume();
  sendGatewayError(
    res,
    new GatewayError('notFound', `no route for ${req.method} ${url.split('?')[0]!.slice(0, 200)}`),
  );
}

/** `GET /v1/{account}/{gateway}/compat/models`: behind the gateway's own authentication, like its data plane. */
async function serveCompatModels(
  app: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  r: DataPlaneRoute,
): Promise<void> {
  try {
    const gateway = await resolveGateway(app, r);
    const auth = req.headers['cf-aig-authorization'];
    authenticate(app, gateway, Array.isArray(auth) ? auth[0] : auth);
    sendJson(res, 200, compatModels(app.prices));
  } catch (err) {
    sendGatewayError(res, toGatewayError(err));
  }
}
