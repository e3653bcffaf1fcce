import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, ProviderKeysTable } from '../db/tables.ts';
import { openSecret, sealSecret, secretPreview } from './crypto.ts';

/** A stored provider key as the API shows it: never the secret, only its preview. */
export interface ProviderKey {
  id: string;
  accountId: string;
  gatewayId: string;
  provider: string;
  alias: string;
  isDefault: boolean;
  preview: string;
  rateLimit: number | null;
  rateLimitPeriod: number | null;
  createdAt: number;
  modifiedAt: number;
}

export const DEFAULT_ALIAS = 'default';

/** What a request finds for a provider: a key to use, or the aliases there are when its alias is not one. */
export type KeyLookup =
  | { kind: 'found'; key: ProviderKey; secret: string }
  | { kind: 'unknown-alias'; aliases: string[] }
  | { kind: 'none' };

const scopeOf = (accountId: string, gatewayId: string, provider: string) =>
  `${accountId}\u0000${gatewayId}\u0000${provider}`;

/**
 * Stored provider keys (BYOK, SPEC.md §9 `provider_configs`, §12). Sealed with AES-256-GCM in the
 * database; opened once at load (or write) and held in memory, so the data plane never decrypts or
 * queries per request. The sealed value is bound to its row: copied to another row it fails to open.
 */
export class ProviderKeyRegistry {
  readonly #db: Kysely<Database>;
  readonly #masterKey: Buffer;
  readonly #byId = new Map<string, { key: ProviderKey; secret: string }>();
  readonly #byScope = new Map<string, ProviderKey[]>();

  constructor(db: Kysely<Database>, masterKey: Buffer) {
    this.#db = db;
    this.#masterKey = masterKey;
  }

  async load(): Promise<void> {
    const rows = await this.#db.selectFrom('provider_keys').selectAll().execute();
    // Open every key before touching the maps: one that fails leaves the registry as it was.
    const opened = rows.map((row) => {
      const key = fromRow(row);
      return { key, secret: openSecret(this.#masterKey, row.secret, aadOf(key)) };
    });
    this.#byId.clear();
    this.#byScope.clear();
    for (const { key, secret } of opened) this.#index(key, secret);
  }

  list(accountId: string, gatewayId: string): ProviderKey[] {
    return [...this.#byId.values()]
      .map((e) => e.key)
      .filter((k) => k.accountId === accountId && k.gatewayId === gatewayId)
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.alias.localeCompare(b.alias));
  }

  get(accountId: string, gatewayId: string, id: string): ProviderKey | undefined {
    const k = this.#byId.get(id)?.key;
    return k && k.accountId === accountId && k.gatewayId === gatewayId ? k : undefined;
  }

  /** The key for a request: the alias it named, else the provider's default key. */
  lookup(accountId: string, gatewayId: string, provider: string, alias: string | undefined): KeyLookup {
    const keys = this.#byScope.get(scopeOf(accountId, gatewayId, provider));
    if (!keys || keys.length === 0)
      return alias === undefined ? { kind: 'none' } : { kind: 'unknown-alias', aliases: [] };
    const key =
      alias === undefined
        ? (keys.find((k) => k.isDefault) ?? keys.find((k) => k.alias === DEFAULT_ALIAS))
        : keys.find((k) => k.alias === alias);
    if (!key) {
      return alias === undefined
        ? { kind: 'none' }
        : { kind: 'unknown-alias', aliases: keys.map((k) => k.alias) };
    }
    return { kind: 'found', key, secret: this.#byId.get(key.id)!.secret };
  }

  /** Adds a key; undefined when the alias is taken for that provider on that gateway. */
  async create(input: {
    accountId: string;
    gatewayId: string;
    provider: string;
    alias: string;
    isDefault: boolean;
    secret: string;
    rateLimit: number | null;
    rateLimitPeriod: number | null;
  }): Promise<ProviderKey | undefined> {
    const siblings = this.#byScope.get(scopeOf(input.accountId, input.gatewayId, input.provider)) ?? [];
    if (siblings.some((k) => k.alias === input.alias)) return undefined;
    const now = Date.now();
    const key: ProviderKey = {
      id: randomUUID(),
      accountId: input.accountId,
      gatewayId: input.gatewayId,
      provider: input.provider,
      alias: input.alias,
      isDefault: input.isDefault,
      preview: secretPreview(input.secret),
      rateLimit: input.rateLimit,
      rateLimitPeriod: input.rateLimitPeriod,
      createdAt: now,
      modifiedAt: now,
    };
    await this.#db.transaction().execute(async (tx) => {
      if (key.isDefault) await this.#clearDefault(tx, key);
      await tx.insertInto('provider_keys').values(this.#toRow(key, input.secret)).execute();
    });
    if (key.isDefault) for (const s of siblings) s.isDefault = false;
    this.#index(key, input.secret);
    return key;
  }

  /** Rotates the secret and/or changes the default; takes effect for the next request. */
  async update(
    id: string,
    change: {
      secret?: string | undefined;
      isDefault?: boolean | undefined;
      rateLimit?: number | null;
      rateLimitPeriod?: number | null;
    },
  ): Promise<ProviderKey | undefined> {
    const entry = this.#byId.get(id);
    if (!entry) return undefined;
    const next: ProviderKey = {
      ...entry.key,
      isDefault: change.isDefault ?? entry.key.isDefault,
      rateLimit: change.rateLimit === undefined ? entry.key.rateLimit : change.rateLimit,
      rateLimitPeriod:
        change.rateLimitPeriod === undefined ? entry.key.rateLimitPeriod : change.rateLimitPeriod,
      preview: change.secret === undefined ? entry.key.preview : secretPreview(change.secret),
      modifiedAt: Date.now(),
    };
    const secret = change.secret ?? entry.secret;
    await this.#db.transaction().execute(async (tx) => {
      if (next.isDefault && !entry.key.isDefault) await this.#clearDefault(tx, next);
      await tx.updateTable('provider_keys').set(this.#toRow(next, secret)).where('id', '=', id).execute();
    });
    if (next.isDefault && !entry.key.isDefault) {
      for (const s of this.#byScope.get(scopeOf(next.accountId, next.gatewayId, next.provider)) ?? [])
        s.isDefault = false;
    }
    this.#unindex(entry.key);
    this.#index(next, secret);
    return next;
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.#byId.get(id);
    if (!entry) return false;
    await this.#db.deleteFrom('provider_keys').where('id', '=', id).execute();
    this.#unindex(entry.key);
    return true;
  }

  /** A deleted gateway takes its keys with it. */
  async deleteGateway(accountId: string, gatewayId: string): Promise<void> {
    await this.#db
      .deleteFrom('provider_keys')
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .execute();
    for (const k of this.list(accountId, gatewayId)) this.#unindex(k);
  }

  async #clearDefault(tx: Kysely<Database>, key: ProviderKey): Promise<void> {
    await tx
      .updateTable('provider_keys')
      .set({ default_config: 0 })
      .where('account_id', '=', key.accountId)
      .where('gateway_id', '=', key.gatewayId)
      .where('provider_slug', '=', key.provider)
      .execute();
  }

  #index(key: ProviderKey, secret: string): void {
    this.#byId.set(key.id, { key, secret });
    const scope = scopeOf(key.accountId, key.gatewayId, key.provider);
    const list = this.#byScope.get(scope) ?? [];
    list.push(key);
    this.#byScope.set(scope, list);
  }

  #unindex(key: ProviderKey): void {
    this.#byId.delete(key.id);
    const scope = scopeOf(key.accountId, key.gatewayId, key.provider);
    const list = (this.#byScope.get(scope) ?? []).filter((k) => k.id !== key.id);
    if (list.length > 0) this.#byScope.set(scope, list);
    else this.#byScope.delete(scope);
  }

  #toRow(key: ProviderKey, secret: string): ProviderKeysTable {
    return {
      id: key.id,
      account_id: key.accountId,
      gateway_id: key.gatewayId,
      provider_slug: key.provider,
      alias: key.alias,
      default_config: key.isDefault ? 1 : 0,
      secret: sealSecret(this.#masterKey, secret, aadOf(key)),
      secret_preview: key.preview,
      rate_limit: key.rateLimit,
      rate_limit_period: key.rateLimitPeriod,
      created_at: key.createdAt,
      modified_at: key.modifiedAt,
    };
  }
}

/** Binds a sealed secret to its row: the same ciphertext under another gateway, provider or id fails. */
function aadOf(key: ProviderKey): string {
  return `provider-key/${key.id}/${key.accountId}/${key.gatewayId}/${key.provider}`;
}

function fromRow(r: ProviderKeysTable): ProviderKey {
  return {
    id: r.id,
    accountId: r.account_id,
    gatewayId: r.gateway_id,
    provider: r.provider_slug,
    alias: r.alias,
    isDefault: r.default_config === 1,
    preview: r.secret_preview,
    rateLimit: r.rate_limit,
    rateLimitPeriod: r.rate_limit_period,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}
