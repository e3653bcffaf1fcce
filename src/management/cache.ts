import { ApiError } from './envelope.ts';
import { findGateway } from './gateways.ts';
import { requirePermission } from './request.ts';
import type { Route } from './router.ts';

/** `DELETE /gateways/{id}/cache[?provider=…&model=…]`: purge a gateway's cached responses. */
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
        if (name !== 'provider' && name !== 'model')
          throw new ApiError(400, 7001, `DELETE /cache takes provider and model; got "${name.slice(0, 64)}"`);
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
