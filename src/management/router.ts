import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/unavailable.ts';
import type { AppContext } from '../server/context.ts';
import type { Principal } from '../tokens/registry.ts';
import { analyticsRoutes } from './analytics.ts';
import { cacheRoutes } from './cache.ts';
import { customProviderRoutes } from './custom-providers.ts';
import { ApiError, fail, ok, type ResultInfo } from './envelope.ts';
import { gatewayRoutes } from './gateways.ts';
import { logRoutes } from './logs.ts';
import { providerKeyRoutes } from './provider-keys.ts';
import { authenticateAdmin } from './request.ts';
import { tokenRoutes } from './tokens.ts';

export interface RouteContext {
  app: AppContext;
  req: IncomingMessage;
  principal: Principal;
  accountId: string;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
}

/** One management endpoint, relative to `/client/v4/accounts/:account/ai-gateway`. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  handle(ctx: RouteContext): Promise<{ result: unknown; resultInfo?: ResultInfo; status?: number }>;
  /** For a streaming answer (the live tail): writes `res` itself, after `handle` validated the request. */
  stream?(ctx: RouteContext, res: ServerResponse): void;
}

const PREFIX = '/client/v4/accounts/:account/ai-gateway';

/** The Cloudflare v4-shaped management API: authentication, routing, and the envelope around every answer. */
export function createManagementHandler(
  app: AppContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 200 });
  for (const route of [
    ...gatewayRoutes,
    ...logRoutes,
    ...cacheRoutes,
    ...tokenRoutes,
    ...customProviderRoutes,
    ...providerKeyRoutes,
    ...analyticsRoutes,
  ]) {
    router.on(route.method, PREFIX + route.path, (req, res, params) => {
      void run(app, route, req, res as ServerResponse, params as Record<string, string | undefined>);
    });
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/client/v4/user/tokens/verify' && req.method === 'GET') {
      verifyToken(app, req, res);
      return;
    }
    const found = router.find(req.method as 'GET', path);
    if (found) {
      router.lookup(req, res);
      return;
    }
    req.resume();
    fail(
      res,
      new ApiError(
        404,
        7003,
        `Could not route to ${(req.url ?? '').split('?')[0]!.slice(0, 200)}: no such endpoint or method`,
      ),
    );
  };
}

/**
 * `GET /client/v4/user/tokens/verify` (Cloudflare's "is this token good" call): who the bearer is,
 * what it may do and in which account, so a client such as the dashboard offers only that.
 */
function verifyToken(app: AppContext, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  try {
    const principal = authenticateAdmin(app, req);
    const base = { status: 'active', account_id: app.config.accountId };
    if (principal.kind === 'admin') {
      ok(res, {
        id: 'admin',
        kind: 'admin',
        name: 'admin',
        permissions: ['run', 'read', 'edit'],
        gateways: null,
        ...base,
      });
      return;
    }
    const t = principal.token;
    ok(res, {
      id: t.id,
      kind: 'token',
      name: t.name,
      permissions: t.permissions,
      gateways: t.gateways,
      ...base,
    });
  } catch (err) {
    fail(res, err instanceof ApiError ? err : new ApiError(500, 7000, 'Internal error'));
  }
}

/** Writes the data plane of every node must see at once: gateways, tokens, custom providers, keys. */
function changesConfig(path: string): boolean {
  return !path.includes('/logs') && !path.endsWith('/cache');
}

async function run(
  app: AppContext,
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
): Promise<void> {
  try {
    const principal = authenticateAdmin(app, req);
    const accountId = params['account']!;
    if (accountId !== app.config.accountId) throw new ApiError(404, 7002, `Account "${accountId}" not found`);
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const ctx = { app, req, principal, accountId, params, query };
    const out = await route.handle(ctx);
    if (route.stream) {
      route.stream(ctx, res);
      return;
    }
    if (route.method !== 'GET' && changesConfig(route.path)) app.changes.publish();
    ok(res, out.result, out.resultInfo, out.status);
  } catch (err) {
    if (!req.readableEnded) req.resume();
    if (err instanceof ApiError) {
      fail(res, err);
      return;
    }
    if (isStatementTimeout(err)) {
      const limit = app.config.databaseQueryTimeoutMs;
      app.log('warn', `management ${req.method} ${route.path}: the database query ran past ${limit} ms`);
      const message = `The database did not finish this request within ${limit} ms (database_query_timeout_ms); ask for less (a shorter time range, more filters) or raise the limit`;
      fail(res, new ApiError(503, 7000, message));
      return;
    }
    if (isDatabaseUnavailable(err)) {
      const reason = (err as Error).message;
      app.log('warn', `management ${req.method} ${route.path}: the database is unavailable (${reason})`);
      fail(res, new ApiError(503, 7000, `The database is unavailable (${reason}); try again shortly`));
      return;
    }
    app.log('error', `management ${req.method} ${route.path} failed: ${(err as Error).stack}`);
    fail(res, new ApiError(500, 7000, 'Internal error'));
  }
}
