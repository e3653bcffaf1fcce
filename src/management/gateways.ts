import { z } from 'zod';
import {
  DEFAULT_SETTINGS,
  GATEWAY_ID_PATTERN,
  type Gateway,
  type GatewaySettings,
  gatewaySettingsShape,
  READ_ONLY_FIELDS,
  REQUIRED_FIELDS,
} from '../gateways/schema.ts';
import { RedactedWithoutValue, redactSettings, restoreSecrets } from '../gateways/secrets.ts';
import type { AppContext } from '../server/context.ts';
import { ApiError, paginate, pagination } from './envelope.ts';
import { readJson, requirePermission, validate } from './request.ts';
import type { Route, RouteContext } from './router.ts';

const required = new Set<string>(REQUIRED_FIELDS);
const settingsFields = Object.keys(gatewaySettingsShape);

/** Required fields must be sent, others may be; response-only fields sent back from a GET are ignored. */
function bodySchema(withId: boolean) {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(gatewaySettingsShape)) shape[k] = required.has(k) ? v : v.optional();
  for (const k of READ_ONLY_FIELDS) shape[k] = z.unknown().optional();
  shape['id'] = withId
    ? z
        .string()
        .regex(
          GATEWAY_ID_PATTERN,
          'letters, digits, "_" and "-", starting with a letter or digit, at most 64',
        )
    : z.unknown().optional();
  return z.object(shape).strict();
}
const createSchema = bodySchema(true);
const updateSchema = bodySchema(false);

function pickSettings(body: Record<string, unknown>, base: GatewaySettings): GatewaySettings {
  const out: Record<string, unknown> = { ...base };
  for (const k of settingsFields) if (body[k] !== undefined) out[k] = body[k];
  return out as GatewaySettings;
}

/** The settings with every REDACTED put back to its stored value, or a 400 that says where. */
function withSecrets(next: GatewaySettings, current?: GatewaySettings): GatewaySettings {
  try {
    return restoreSecrets(next, current);
  } catch (err) {
    if (err instanceof RedactedWithoutValue) throw new ApiError(400, 7001, err.message, err.path);
    throw err;
  }
}

export function gatewayResult(g: Gateway) {
  return {
    id: g.id,
    ...redactSettings(g.settings),
    created_at: new Date(g.createdAt).toISOString(),
    modified_at: new Date(g.modifiedAt).toISOString(),
    is_default: g.id === 'default',
  };
}

/** The gateway a `/gateways/:gateway/…` route names, once the caller may `permission` it. */
export function gatewayInPath(ctx: RouteContext, permission: 'read' | 'edit'): Gateway {
  const id = ctx.params['gateway']!;
  requirePermission(ctx.principal, permission, id);
  return findGateway(ctx.app, ctx.accountId, id);
}

export function findGateway(app: AppContext, accountId: string, id: string): Gateway {
  const g = app.gateways.get(accountId, id);
  if (!g) throw new ApiError(404, 7002, `Gateway "${id}" not found`);
  return g;
}

export const gatewayRoutes: Route[] = [
  {
    method: 'POST',
    path: '/gateways',
    async handle({ app, req, principal, accountId }) {
      requirePermission(principal, 'edit');
      const body = validate(createSchema, await readJson(req)) as Record<string, unknown>;
      const id = body['id'] as string;
      requirePermission(principal, 'edit', id);
      const g = await app.gateways.create(accountId, id, withSecrets(pickSettings(body, DEFAULT_SETTINGS)));
      if (!g) throw new ApiError(409, 7003, `Gateway "${id}" already exists`);
      return { result: gatewayResult(g) };
    },
  },
  {
    method: 'GET',
    path: '/gateways',
    async handle({ app, principal, accountId, query }) {
      requirePermission(principal, 'read');
      const { page, perPage } = pagination(query);
      const search = query.get('search')?.toLowerCase();
      const all = app.gateways
        .list(accountId)
        .filter((g) => !search || g.id.toLowerCase().includes(search))
        .filter(
          (g) =>
            principal.kind === 'admin' ||
            principal.token.gateways === null ||
            principal.token.gateways.includes(g.id),
        );
      const { items, info } = paginate(all, page, perPage);
      return { result: items.map(gatewayResult), resultInfo: info };
    },
  },
  {
    method: 'GET',
    path: '/gateways/:gateway',
    async handle({ app, principal, accountId, params }) {
      requirePermission(principal, 'read', params['gateway']);
      return { result: gatewayResult(findGateway(app, accountId, params['gateway']!)) };
    },
  },
  {
    method: 'PUT',
    path: '/gateways/:gateway',
    async handle({ app, req, principal, accountId, params }) {
      const id = params['gateway']!;
      requirePermission(principal, 'edit', id);
      const current = findGateway(app, accountId, id);
      const raw = await readJson(req);
      const missing =
        raw && typeof raw === 'object' ? REQUIRED_FIELDS.filter((f) => !(f in raw)) : [...REQUIRED_FIELDS];
      if (missing.length > 0) {
        throw new ApiError(
          400,
          7001,
          `PUT replaces the gateway: send the required fields too; missing: ${missing.join(', ')}`,
        );
      }
      const body = validate(updateSchema, raw) as Record<string, unknown>;
      // Optional fields left out keep their value: omission never silently switches a feature off.
      const settings = withSecrets(pickSettings(body, current.settings), current.settings);
      const g = await app.gateways.update(accountId, id, settings);
      return { result: gatewayResult(g!) };
    },
  },
  {
    method: 'DELETE',
    path: '/gateways/:gateway',
    async handle({ app, principal, accountId, params }) {
      const id = params['gateway']!;
      requirePermission(principal, 'edit', id);
      const g = await app.gateways.delete(accountId, id);
      if (!g) throw new ApiError(404, 7002, `Gateway "${id}" not found`);
      return { result: gatewayResult(g) };
    },
  },
];
