import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import { createCustomProvider, getProvider } from '../providers/registry.ts';
import type { ProviderAdapter } from '../providers/types.ts';
import type { AppContext } from '../server/context.ts';
import { allows } from '../tokens/registry.ts';
import type { DataPlaneRoute } from './route.ts';

/** The gateway named in the URL; `default` is re-created on demand (SPEC.md §1). */
export async function resolveGateway(app: AppContext, route: DataPlaneRoute): Promise<Gateway> {
  if (route.accountId !== app.config.accountId) {
    throw new GatewayError('accountNotFound', `no account "${route.accountId}" on this gateway`);
  }
  const gateway = app.gateways.get(route.accountId, route.gatewayId);
  if (gateway) return gateway;
  if (route.gatewayId === 'default') return app.gateways.ensureDefault(route.accountId);
  throw new GatewayError(
    'gatewayNotFound',
    `no gateway "${route.gatewayId}"; create it with POST /client/v4/accounts/${route.accountId}/ai-gateway/gateways`,
  );
}

/** An authenticated gateway needs `cf-aig-authorization: Bearer <token>` with `run` (SPEC.md §7). */
/** Returns who called: a token's id, `admin`, or undefined on an open gateway. */
export function authenticate(
  app: AppContext,
  gateway: Gateway,
  header: string | undefined,
): string | undefined {
  if (!gateway.settings.authentication) return undefined;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const principal = token ? app.tokens.authenticate(token) : undefined;
  if (!principal || !allows(principal, 'run', gateway.id)) {
    throw new GatewayError('unauthorized');
  }
  return principal.kind === 'admin' ? 'admin' : principal.token.id;
}

export function resolveProvider(app: AppContext, route: DataPlaneRoute): ProviderAdapter {
  const slug = route.provider ?? '';
  const builtin = getProvider(slug);
  if (builtin) return builtin;
  if (slug.startsWith('custom-')) {
    const custom = app.customProviders.bySlug(route.accountId, slug.slice('custom-'.length));
    if (custom) return createCustomProvider(slug, custom.baseUrl);
  }
  throw new GatewayError(
    'invalidProvider',
    `"${slug.slice(0, 64)}" is not a provider; use one of the slugs listed in the README, or custom-{slug} for a custom provider`,
  );
}

export function resolveUpstreamUrl(app: AppContext, provider: ProviderAdapter, route: DataPlaneRoute): URL {
  const resolved = provider.resolveUrl({
    path: route.path,
    search: route.search,
    accountId: route.accountId,
    baseUrl: app.config.providerBaseUrls[provider.slug],
  });
  if (!resolved.ok) throw new GatewayError('invalidPath', resolved.message);
  return new URL(resolved.url);
}
