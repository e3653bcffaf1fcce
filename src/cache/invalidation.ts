import type { CustomProviderRegistry } from '../custom-providers/registry.ts';
import type { GatewayRegistry } from '../gateways/registry.ts';
import type { CacheStore } from './types.ts';

/**
 * Purges that follow config changes: a gateway updated with `cache_invalidate_on_update: true`
 * or deleted loses its entries; a custom provider updated or deleted loses its entries in every
 * gateway of the account (SPEC.md §5).
 */
export function watchForCachePurges(
  gateways: GatewayRegistry,
  customProviders: CustomProviderRegistry,
  cache: CacheStore,
  log: (level: 'warn', message: string) => void,
): void {
  const purge = (filter: Parameters<CacheStore['purge']>[0]) => {
    cache.purge(filter).catch((err: unknown) => log('warn', `cache purge failed: ${(err as Error).message}`));
  };
  gateways.onChange((change) => {
    const { accountId, id, settings } = change.gateway;
    if (change.type === 'deleted' || (change.type === 'updated' && settings.cache_invalidate_on_update)) {
      purge({ accountId, gatewayId: id });
    }
  });
  customProviders.onChange((change) => {
    if (change.type === 'created') return;
    const { accountId, slug } = change.provider;
    for (const g of gateways.list(accountId))
      purge({ accountId, gatewayId: g.id, provider: `custom-${slug}` });
  });
}
