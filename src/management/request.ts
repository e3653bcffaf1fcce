import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { AppContext } from '../server/context.ts';
import { allows, type Permission, type Principal } from '../tokens/registry.ts';
import { ApiError } from './envelope.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/** The caller, from `Authorization: Bearer …`: the admin token or a stored token. */
export function authenticateAdmin(app: AppContext, req: IncomingMessage): Principal {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const principal = token ? app.tokens.authenticate(token) : undefined;
  if (!principal) {
    throw new ApiError(
      401,
      10000,
      'Authentication error: send Authorization: Bearer <admin token or a token with read/edit>',
    );
  }
  return principal;
}

export function requirePermission(principal: Principal, permission: Permission, gatewayId?: string): void {
  if (allows(principal, permission, gatewayId)) return;
  const scope = gatewayId === undefined ? '' : ` on gateway "${gatewayId}"`;
  throw new ApiError(403, 10000, `Forbidden: this token lacks the "${permission}" permission${scope}`);
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin')
    throw new ApiError(403, 10000, 'Forbidden: only the admin token can manage tokens');
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 7001, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 7001, 'a JSON body is required');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 7001, `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Validates with zod; every issue becomes `field: problem` in one message. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new ApiError(400, 7001, `Invalid request: ${issues.join('; ')}`);
}
