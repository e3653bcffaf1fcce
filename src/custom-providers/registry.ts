import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export interface CustomProviderDetails {
  description: string | null;
  link: string | null;
  enable: boolean;
  beta: boolean;
  curl_example: string | null;
  js_example: string | null;
}

export interface CustomProvider extends CustomProviderDetails {
  id: string;
  accountId: string;
  slug: string;
  name: string;
  baseUrl: string;
  createdAt: number;
  modifiedAt: number;
}

export type CustomProviderChange = { type: 'created' | 'updated' | 'deleted'; provider: CustomProvider };

/** Custom providers (SPEC.md §12), in memory for the data plane, written through to the database. */
export class CustomProviderRegistry {
  readonly #db: Kysely<Database>;
  readonly #byId = new Map<string, CustomProvider>();
  readonly #listeners: Array<(c: CustomProviderChange) => void> = [];

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async load(): Promise<void> {
    const rows = await this.#db.selectFrom('custom_providers').selectAll().execute();
    // Swapped in one step after the read, so requests never see a half-loaded registry.
    this.#byId.clear();
    for (const r of rows) {
      this.#byId.set(r.id, {
        id: r.id,
        accountId: r.account_id,
        slug: r.slug,
        name: r.name,
        baseUrl: r.base_url,
        ...(JSON.parse(r.details) as CustomProviderDetails),
        createdAt: Number(r.created_at),
        modifiedAt: Number(r.modified_at),
      });
    }
  }

  onChange(listener: (c: CustomProviderChange) => void): void {
    this.#listeners.push(listener);
  }

  list(accountId: string): CustomProvider[] {
    return [...this.#byId.values()].filter((p) => p.accountId === accountId);
  }

  get(accountId: string, id: string): CustomProvider | undefined {
    const p = this.#byId.get(id);
    return p?.accountId === accountId ? p : undefined;
  }

  /** By slug without the `custom-` prefix. */
  bySlug(accountId: string, slug: string): CustomProvider | undefined {
    for (const p of this.#byId.values()) if (p.accountId === accountId && p.slug === slug) return p;
    return undefined;
  }

  async create(
    accountId: string,
    input: { slug: string; name: string; baseUrl: string } & CustomProviderDetails,
  ): Promise<CustomProvider | undefined> {
    if (this.bySlug(accountId, input.slug)) return undefined;
    const now = Date.now();
    const p: CustomProvider = { ...input, id: randomUUID(), accountId, createdAt: now, modifiedAt: now };
    await this.#db.insertInto('custom_providers').values(toRow(p)).execute();
    this.#byId.set(p.id, p);
    this.#emit({ type: 'created', provider: p });
    return p;
  }

  async update(accountId: string, id: string, patch: Partial<Omit<CustomProvider, 'id' | 'accountId'>>) {
    const prev = this.get(accountId, id);
    if (!prev) return undefined;
    const p: CustomProvider = { ...prev, ...patch, modifiedAt: Math.max(Date.now(), prev.modifiedAt + 1) };
    const row = toRow(p);
    await this.#db.updateTable('custom_providers').set(row).where('id', '=', id).execute();
    this.#byId.set(id, p);
    this.#emit({ type: 'updated', provider: p });
    return p;
  }

  async delete(accountId: string, id: string): Promise<CustomProvider | undefined> {
    const p = this.get(accountId, id);
    if (!p) return undefined;
    await this.#db.deleteFrom('custom_providers').where('id', '=', id).execute();
    this.#byId.delete(id);
    this.#emit({ type: 'deleted', provider: p });
    return p;
  }

  #emit(c: CustomProviderChange): void {
    for (const l of this.#listeners) l(c);
  }
}

function toRow(p: CustomProvider) {
  const details: CustomProviderDetails = {
    description: p.description,
    link: p.link,
    enable: p.enable,
    beta: p.beta,
    curl_example: p.curl_example,
    js_example: p.js_example,
  };
  return {
    id: p.id,
    account_id: p.accountId,
    slug: p.slug,
    name: p.name,
    base_url: p.baseUrl,
    details: JSON.stringify(details),
    created_at: p.createdAt,
    modified_at: p.modifiedAt,
  };
}
