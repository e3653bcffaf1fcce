import { z } from 'zod';
import type { ProviderKey } from '../keys/registry.ts';
import { parseAwsCredentials } from '../keys/sigv4.ts';
import { getProvider } from '../providers/registry.ts';
import type { AppContext } from '../server/context.ts';
import { ApiError } from './envelope.ts';
import { gatewayInPath } from './gateways.ts';
import { readJson, validate } from './request.ts';
import type { Route } from './router.ts';

const ALIAS = /^[A-Za-z0-9_-]{1,64}$/;

const secret = z.string().min(1).max(16_384);
const createSchema = z
  .object({
    provider_slug: z.string().min(1).max(80),
    alias: z.string().regex(ALIAS, 'letters, digits, "_" and "-", 1 to 64').optional(),
    default_config: z.boolean().optional(),
    secret: secret.optional(),
    secret_id: z.string().optional(),
  })
  .strict();
const patchSchema = z.object({ default_config: z.boolean().optional(), secret: secret.optional() }).strict();

/** The hosted shape of a provider config; `secret_id` names the stored secret (ours is the config itself). */
function result(k: ProviderKey) {
  return {
    id: k.id,
    alias: k.alias,
    default_config: k.isDefault,
    gateway_id: k.gatewayId,
    provider_slug: k.provider,
    secret_id: k.id,
    secret_preview: k.preview,
    created_at: new Date(k.createdAt).toISOString(),
    modified_at: new Date(k.modifiedAt).toISOString(),
  };
}

function checkProvider(app: AppContext, accountId: string, slug: string): void {
  if (getProvider(slug)) return;
  if (slug.startsWith('custom-') && app.customProviders.bySlug(accountId, slug.slice(7))) return;
  throw new ApiError(
    400,
    7001,
    `provider_slug "${slug.slice(0, 80)}" is not a provider: use a slug from the README's provider table or custom-{slug} of a registered custom provider`,
    ['provider_slug'],
  );
}

/** Bedrock takes a Bedrock API key as is, or AWS credentials as JSON (signed per request with SigV4). */
function checkSecret(provider: string, value: string): void {
  if (provider !== 'aws-bedrock' || !value.trimStart().startsWith('{')) return;
  try {
    parseAwsCredentials(value);
  } catch (err) {
    throw new ApiError(400, 7001, `secret: ${(err as Error).message}`, ['secret']);
  }
}

function findKey(app: AppContext, accountId: string, gatewayId: string, id: string): ProviderKey {
  const key = app.providerKeys.get(accountId, gatewayId, id);
  if (!key)
    throw new ApiError(404, 7002, `Provider config "${id}" not found in gateway "${gatewayId}"`, ['id']);
  return key;
}

/** `/gateways/{id}/provider_configs`: stored provider keys (BYOK). Secrets go in, only previews come out. */
export const providerKeyRoutes: Route[] = [
  {
    method: 'GET',
    path: '/gateways/:gateway/provider_configs',
    async handle(ctx) {
      const { app, accountId } = ctx;
      const gatewayId = gatewayInPath(ctx, 'read').id;
      const keys = app.providerKeys.list(accountId, gatewayId);
      return {
        result: keys.map(result),
        resultInfo: { page: 1, per_page: keys.length, count: keys.length, total_count: keys.length },
      };
    },
  },
  {
    method: 'POST',
    path: '/gateways/:gateway/provider_configs',
    async handle(ctx) {
      const { app, req, accountId } = ctx;
      const gateway = gatewayInPath(ctx, 'edit');
      const gatewayId = gateway.id;
      const b = validate(createSchema, await readJson(req));
      if (b.secret === undefined) {
        throw new ApiError(
          400,
          7001,
          b.secret_id === undefined
            ? 'secret is required: the provider key to store'
            : 'secret_id refers to a Cloudflare Secrets Store; Gatehouse stores the key itself: send it as secret',
          ['secret'],
        );
      }
      if (!gateway.settings.authentication) {
        throw new ApiError(
          400,
          7001,
          `gateway "${gatewayId}" is not authenticated: stored keys need authentication: true, or anyone who reaches the gateway spends them`,
          ['gateway'],
        );
      }
      checkProvider(app, accountId, b.provider_slug);
      checkSecret(b.provider_slug, b.secret);
      const alias = b.alias ?? 'default';
      const created = await app.providerKeys.create({
        accountId,
        gatewayId,
        provider: b.provider_slug,
        alias,
        isDefault: b.default_config ?? alias === 'default',
        secret: b.secret,
        rateLimit: null,
        rateLimitPeriod: null,
      });
      if (!created) {
        throw new ApiError(
          409,
          7003,
          `gateway "${gatewayId}" already has a ${b.provider_slug} key named "${alias}"; PATCH it to rotate`,
          ['alias'],
        );
      }
      return { result: result(created) };
    },
  },
  {
    method: 'GET',
    path: '/gateways/:gateway/provider_configs/:id',
    async handle(ctx) {
      const { app, accountId, params } = ctx;
      const gatewayId = gatewayInPath(ctx, 'read').id;
      return { result: result(findKey(app, accountId, gatewayId, params['id']!)) };
    },
  },
  {
    method: 'PATCH',
    path: '/gateways/:gateway/provider_configs/:id',
    async handle(ctx) {
      const { app, req, accountId, params } = ctx;
      const gatewayId = gatewayInPath(ctx, 'edit').id;
      const key = findKey(app, accountId, gatewayId, params['id']!);
      const b = validate(patchSchema, await readJson(req));
      if (b.secret !== undefined) checkSecret(key.provider, b.secret);
      const updated = await app.providerKeys.update(key.id, {
        secret: b.secret,
        isDefault: b.default_config,
      });
      return { result: result(updated!) };
    },
  },
  {
    method: 'DELETE',
    path: '/gateways/:gateway/provider_configs/:id',
    async handle(ctx) {
      const { app, accountId, params } = ctx;
      const gatewayId = gatewayInPath(ctx, 'edit').id;
      const key = findKey(app, accountId, gatewayId, params['id']!);
      await app.providerKeys.delete(key.id);
      return { result: { id: key.id } };
    },
  },
];
