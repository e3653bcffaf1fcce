import { z } from 'zod';
import { PERMISSIONS, type Token } from '../tokens/registry.ts';
import { ApiError, paginate, pagination } from './envelope.ts';
import { readJson, requireAdmin, validate } from './request.ts';
import type { Route } from './router.ts';

const createSchema = z
  .object({
    name: z.string().min(1).max(128),
    permissions: z.array(z.enum(PERMISSIONS)).min(1, 'at least one of "run", "read", "edit"'),
    gateways: z.array(z.string().min(1).max(64)).optional(),
  })
  .strict();

function tokenResult(t: Token) {
  return {
    id: t.id,
    name: t.name,
    permissions: t.permissions,
    gateways: t.gateways,
    preview: t.preview,
    created_at: new Date(t.createdAt).toISOString(),
  };
}

/** Token management is the admin's alone: an `edit` token that could mint tokens could escalate. */
export const tokenRoutes: Route[] = [
  {
    method: 'POST',
    path: '/tokens',
    async handle({ app, req, principal, accountId }) {
      requireAdmin(principal);
      const body = validate(createSchema, await readJson(req));
      const { token, value } = await app.tokens.create(accountId, {
        name: body.name,
        permissions: body.permissions,
        gateways: body.gateways ?? null,
      });
      return { result: { ...tokenResult(token), value } };
    },
  },
  {
    method: 'GET',
    path: '/tokens',
    async handle({ app, principal, accountId, query }) {
      requireAdmin(principal);
      const { page, perPage } = pagination(query);
      const { items, info } = paginate(app.tokens.list(accountId), page, perPage);
      return { result: items.map(tokenResult), resultInfo: info };
    },
  },
  {
    method: 'GET',
    path: '/tokens/:token',
    async handle({ app, principal, accountId, params }) {
      requireAdmin(principal);
      const t = app.tokens.get(accountId, params['token']!);
      if (!t) throw new ApiError(404, 7002, `Token "${params['token']}" not found`);
      return { result: tokenResult(t) };
    },
  },
  {
    method: 'DELETE',
    path: '/tokens/:token',
    async handle({ app, principal, accountId, params }) {
      requireAdmin(principal);
      const t = await app.tokens.revoke(accountId, params['token']!);
      if (!t) throw new ApiError(404, 7002, `Token "${params['token']}" not found`);
      return { result: tokenResult(t) };
    },
  },
];
