import { z } from 'zod';
import type { CustomProvider } from '../custom-providers/registry.ts';
import { ApiError, paginate, pagination } from './envelope.ts';
import { readJson, requirePermission, validate } from './request.ts';
import type { Route } from './router.ts';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

const fields = {
  name: z.string().min(1).max(128),
  slug: z
    .string()
    .regex(SLUG, 'lower-case letters, digits and "-", 1 to 64, not starting or ending with "-"'),
  base_url: z.string().max(2048),
  description: z.string().max(2000).nullable().optional(),
  link: z.string().max(2048).nullable().optional(),
  enable: z.boolean().optional(),
  beta: z.boolean().optional(),
  curl_example: z.string().max(10_000).nullable().optional(),
  js_example: z.string().max(10_000).nullable().optional(),
};
const createSchema = z.object(fields).strict();
const patchSchema = z.object(fields).partial().strict();

/**
 * SPEC.md §12: base URLs must be https (error 1002). Plain http is allowed only for hosts the
 * operator lists (`custom_providers.allow_http_hosts`), for model servers on a trusted network.
 */
function checkBaseUrl(url: string, allowHttpHosts: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ApiError(400, 1002, `base_url is not a URL: "${url.slice(0, 100)}"`, ['base_url']);
  }
  const httpAllowed = parsed.protocol === 'http:' && allowHttpHosts.includes(parsed.hostname.toLowerCase());
  if (parsed.protocol !== 'https:' && !httpAllowed) {
    const hint =
      parsed.protocol === 'http:'
        ? `; plain http only for hosts in custom_providers.allow_http_hosts (now: ${allowHttpHosts.join(', ') || 'none'})`
        : '';
    throw new ApiError(400, 1002, `base_url must start with https://${hint}`, ['base_url']);
  }
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function logo(name: string): string {
  const letter = (name.trim()[0] ?? '?').toUpperCase().replace(/[<&>"']/g, '?');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" rx="12" fill="#475569"/><text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">${letter}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

function result(p: CustomProvider) {
  return {
    id: p.id,
    account_id: p.accountId,
    account_tag: p.accountId,
    name: p.name,
    slug: p.slug,
    base_url: p.baseUrl,
    description: p.description,
    link: p.link,
    enable: p.enable,
    beta: p.beta,
    curl_example: p.curl_example,
    js_example: p.js_example,
    logo: logo(p.name),
    created_at: Math.floor(p.createdAt / 1000),
    modified_at: Math.floor(p.modifiedAt / 1000),
  };
}

function notFound(id: string): ApiError {
  return new ApiError(404, 1004, `Custom Provider not found: "${id}"`, ['id']);
}

export const customProviderRoutes: Route[] = [
  {
    method: 'POST',
    path: '/custom-providers',
    async handle({ app, req, principal, accountId }) {
      requirePermission(principal, 'edit');
      const b = validate(createSchema, await readJson(req));
      const created = await app.customProviders.create(accountId, {
        slug: b.slug,
        name: b.name,
        baseUrl: checkBaseUrl(b.base_url, app.config.allowHttpHosts),
        description: b.description ?? null,
        link: b.link ?? null,
        enable: b.enable ?? false,
        beta: b.beta ?? false,
        curl_example: b.curl_example ?? null,
        js_example: b.js_example ?? null,
      });
      if (!created)
        throw new ApiError(409, 1003, `A custom provider with slug "${b.slug}" already exists`, ['slug']);
      return { result: result(created) };
    },
  },
  {
    method: 'GET',
    path: '/custom-providers',
    async handle({ app, principal, accountId, query }) {
      requirePermission(principal, 'read');
      const { page, perPage } = pagination(query, 100);
      const search = query.get('search')?.toLowerCase();
      const flag = (name: string) => (query.has(name) ? query.get(name) === 'true' : undefined);
      const enable = flag('enable');
      const beta = flag('beta');
      const orderBy = query.get('order_by') ?? 'name ASC';
      if (!/^name (ASC|DESC)$/i.test(orderBy))
        throw new ApiError(400, 7001, 'order_by must be "name ASC" or "name DESC"');
      const desc = orderBy.toUpperCase().endsWith('DESC');
      const all = app.customProviders
        .list(accountId)
        .filter((p) => enable === undefined || p.enable === enable)
        .filter((p) => beta === undefined || p.beta === beta)
        .filter((p) => !search || [p.id, p.name, p.slug].some((v) => v.toLowerCase().includes(search)))
        .sort((a, b) => (desc ? -1 : 1) * a.name.localeCompare(b.name));
      const { items, info } = paginate(all, page, perPage);
      return { result: items.map(result), resultInfo: info };
    },
  },
  {
    method: 'GET',
    path: '/custom-providers/:id',
    async handle({ app, principal, accountId, params }) {
      requirePermission(principal, 'read');
      const p = app.customProviders.get(accountId, params['id']!);
      if (!p) throw notFound(params['id']!);
      return { result: result(p) };
    },
  },
  {
    method: 'PATCH',
    path: '/custom-providers/:id',
    async handle({ app, req, principal, accountId, params }) {
      requirePermission(principal, 'edit');
      const id = params['id']!;
      if (!app.customProviders.get(accountId, id)) throw notFound(id);
      const b = validate(patchSchema, await readJson(req));
      if (b.slug !== undefined) {
        const other = app.customProviders.bySlug(accountId, b.slug);
        if (other && other.id !== id)
          throw new ApiError(409, 1003, `A custom provider with slug "${b.slug}" already exists`, ['slug']);
      }
      const { base_url, ...rest } = b;
      const patch = {
        ...rest,
        ...(base_url !== undefined ? { baseUrl: checkBaseUrl(base_url, app.config.allowHttpHosts) } : {}),
      };
      const p = await app.customProviders.update(accountId, id, patch);
      return { result: result(p!) };
    },
  },
  {
    method: 'DELETE',
    path: '/custom-providers/:id',
    async handle({ app, principal, accountId, params }) {
      requirePermission(principal, 'edit');
      const p = await app.customProviders.delete(accountId, params['id']!);
      if (!p) throw notFound(params['id']!);
      return { result: result(p) };
    },
  },
];
