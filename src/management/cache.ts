import { ApiError } from './envelope.ts';
import { findGateway } from './gateways.ts';
import { requirePermission } from './request.ts';
import type { Route } from './router.ts';

/**
 * `DELETE /gateways/{id}/cache[?provider=…&model=…]`: purge a gateway's cached responses;
 * `?key=…` (a log's `cache_key`) purges the one entry.
 */
export const cacheRoutes: Route[] = [
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
      const key = query.get('key');
      if (key !== null) {
        // Not echoed: a key pasted into the wrong place (a provider's) must not come back in an answer.
        if (!/^[0-9a-f]{64}$/.test(key))
          throw new ApiError(
            400,
            7001,
            `key must be a cache key as a log's cache_key shows it: 64 lowercase hex digits; got ${key.length} characters that are not that`,
            ['key'],
          );
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
