import { ApiError } from './envelope.ts';
import { findGateway } from './gateways.ts';
import { requirePermission } from './request.ts';
import type { Route } from './router.ts';

/**
 * `GET /gateways/{id}/cache/{key}`: one entry, by a log's `cache_key`.
 * `DELETE /gateways/{id}/cache[?provider=…&model=…]`: purge a gateway's cached responses;
 * `?key=…` purges the one entry.
 */
/** A cache key as the logs show it; not echoed when malformed (a provider key pasted there must not return). */
function readKey(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key))
    throw new ApiError(
      400,
      7001,
      `key must be a cache key as a log's cache_key shows it: 64 lowercase hex digits; got ${key.length} characters that are not that`,
      ['key'],
    );
  return key;
}

export const cacheRoutes: Route[] = [
  {
    // What one entry holds and until when: its head and counts, not its body (the log has that).
    method: 'GET',
    path: '/gateways/:gateway/cache/:key',
    async handle({ app, principal, accountId, params }) {
      const id = params['gateway']!;
      requirePermission(principal, 'read', id);
      findGateway(app, accountId, id);
      const key = readKey(params['key']!);
      const scope = { accountId, gatewayId: id };
      const [entry, expiresAt] = await Promise.all([
        app.cache.get(scope, key),
        app.cache.expiresAt(scope, key),
      ]);
      if (!entry)
        throw new ApiError(
          404,
          7002,
          `No cache entry ${key} in gateway "${id}": it expired, was purged, or was never stored`,
        );
      const contentType = entry.headers['content-type'];
      return {
        result: {
          key,
          provider: entry.provider,
          model: entry.model,
          status: entry.status,
          content_type: (Array.isArray(contentType) ? contentType[0] : contentType) ?? null,
          stream: entry.frames !== null,
          size: entry.body.length,
          tokens_in: entry.tokensIn,
          tokens_out: entry.tokensOut,
          stored_at: new Date(entry.storedAt).toISOString(),
          expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
        },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/gateways/:gateway/cache',
    async handle({ app, principal, accountId, params, query }) {
      const id = params['gateway']!;
      requirePermission(principal, 'edit', id);
      findGateway(app, accountId, id);
      // With no filter this purges the whole gateway, so a misspelt filter must not become that.
      for (const name of query.keys()) {
        if (name !== 'provider' && name !== 'model' && name !== 'key')
          throw new ApiError(
            400,
            7001,
            `DELETE /cache takes provider and model, or key; got "${name.slice(0, 64)}"`,
          );
      }
      const asked = query.get('key');
      if (asked !== null) {
        const key = readKey(asked);
        if (query.has('provider') || query.has('model'))
          throw new ApiError(400, 7001, 'key names one entry: send it without provider or model');
        return { result: { purged: await app.cache.purge({ accountId, gatewayId: id, key }) } };
      }
      const provider = query.get('provider') ?? undefined;
      const model = query.get('model') ?? undefined;
      const purged = await app.cache.purge({
        accountId,
        gatewayId: id,
        ...(provider ? { provider } : {}),
        ...(model ? { model } : {}),
      });
      return { result: { purged } };
    },
  },
];
