import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export const PERMISSIONS = ['run', 'read', 'edit'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Token {
  id: string;
  accountId: string;
  name: string;
  preview: string;
  permissions: Permission[];
  /** Gateway ids the token is limited to; null for all. */
  gateways: string[] | null;
  createdAt: number;
}

/** Who made a request: the admin, or a stored token. */
export type Principal = { kind: 'admin' } | { kind: 'token'; token: Token };

/** Token values are 256-bit random, so a plain SHA-256 is a safe, constant-time-lookup hash. */
export function hashToken(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function generateTokenValue(): string {
  return `ghk_${randomBytes(32).toString('base64url')}`;
}

/**
 * Gateway tokens, looked up in memory by hash. The value is returned once, at creation, and
 * never stored.
 */
export class TokenRegistry {
  readonly #db: Kysely<Database>;
  readonly #adminHash: Buffer;
  readonly #byHash = new Map<string, Token>();

  constructor(db: Kysely<Database>, adminToken: string) {
    this.#db = db;
    this.#adminHash = Buffer.from(hashToken(adminToken), 'hex');
  }

  async load(): Promise<void> {
    const rows = await this.#db.selectFrom('tokens').selectAll().execute();
    this.#byHash.clear();
    for (const r of rows) {
      this.#byHash.set(r.value_hash, {
        id: r.id,
        accountId: r.account_id,
        name: r.name,
        preview: r.preview,
        permissions: JSON.parse(r.permissions) as Permission[],
        gateways: r.gateways === null ? null : (JSON.parse(r.gateways) as string[]),
        createdAt: Number(r.created_at),
      });
    }
  }

  /** Resolves a presented secret to a principal, or undefined. */
  authenticate(value: string): Principal | undefined {
    const hash = hashToken(value);
    if (timingSafeEqual(Buffer.from(hash, 'hex'), this.#adminHash)) return { kind: 'admin' };
    const token = this.#byHash.get(hash);
    return token ? { kind: 'token', token } : undefined;
  }

  list(accountId: string): Token[] {
    return [...this.#byHash.values()]
      .filter((t) => t.accountId === accountId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  get(accountId: string, id: string): Token | undefined {
    return this.list(accountId).find((t) => t.id === id);
  }

  async create(
    accountId: string,
    input: { name: string; permissions: Permission[]; gateways: string[] | null },
  ): Promise<{ token: Token; value: string }> {
    const value = generateTokenValue();
    const hash = hashToken(value);
    const token: Token = {
      id: randomUUID().replaceAll('-', ''),
      accountId,
      name: input.name,
      preview: `${value.slice(0, 8)}…`,
      permissions: [...new Set(input.permissions)],
      gateways: input.gateways,
      createdAt: Date.now(),
    };
    await this.#db
      .insertInto('tokens')
      .values({
        id: token.id,
        account_id: accountId,
        name: token.name,
        value_hash: hash,
        preview: token.preview,
        permissions: JSON.stringify(token.permissions),
        gateways: token.gateways === null ? null : JSON.stringify(token.gateways),
        created_at: token.createdAt,
      })
      .execute();
    this.#byHash.set(hash, token);
    return { token, value };
  }

  async revoke(accountId: string, id: string): Promise<Token | undefined> {
    for (const [hash, t] of this.#byHash) {
      if (t.accountId !== accountId || t.id !== id) continue;
      await this.#db.deleteFrom('tokens').where('id', '=', id).execute();
      this.#byHash.delete(hash);
      return t;
    }
    return undefined;
  }
}

/** Whether a principal may do `permission` on `gatewayId` (undefined = an account-level action). */
export function allows(principal: Principal, permission: Permission, gatewayId?: string): boolean {
  if (principal.kind === 'admin') return true;
  const { token } = principal;
  const has =
    token.permissions.includes(permission) || (permission === 'read' && token.permissions.includes('edit'));
  if (!has) return false;
  if (gatewayId === undefined || token.gateways === null) return true;
  return token.gateways.includes(gatewayId);
}
