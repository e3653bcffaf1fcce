import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { DEFAULT_SETTINGS, type Gateway, type GatewaySettings } from './schema.ts';
import { openCredentials, sealCredentials } from './secrets.ts';

export type GatewayChange = { type: 'created' | 'updated' | 'deleted'; gateway: Gateway; previous?: Gateway };

/**
 * Gateways held in memory so the data plane never reads the database per request; every write
 * goes to the database first and then to the map, and listeners hear of it (cache purges today,
 * other nodes once a shared bus is configured).
 */
export class GatewayRegistry {
  readonly #db: Kysely<Database>;
  readonly #masterKey: Buffer;
  readonly #byKey = new Map<string, Gateway>();
  readonly #listeners: Array<(change: GatewayChange) => void> = [];

  /** `masterKey` seals the credentials settings hold for other services (see `secrets.ts`). */
  constructor(db: Kysely<Database>, masterKey: Buffer) {
    this.#db = db;
    this.#masterKey = masterKey;
  }

  #stored(accountId: string, id: string, settings: GatewaySettings): string {
    return JSON.stringify(sealCredentials(settings, this.#masterKey, `${accountId}/${id}`));
  }

  async load(): Promise<void> {
    const rows = await this.#db.selectFrom('gateways').selectAll().execute();
    this.#byKey.clear();
    for (const row of rows) {
      const gw: Gateway = {
        accountId: row.account_id,
        id: row.id,
        // Older rows lack fields added later; the defaults fill them.
        settings: openCredentials(
          { ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings) as Partial<GatewaySettings>) },
          this.#masterKey,
          `${row.account_id}/${row.id}`,
        ),
        createdAt: Number(row.created_at),
        modifiedAt: Number(row.modified_at),
      };
      this.#byKey.set(key(gw.accountId, gw.id), gw);
    }
  }

  onChange(listener: (change: GatewayChange) => void): void {
    this.#listeners.push(listener);
  }

  get(accountId: string, id: string): Gateway | undefined {
    return this.#byKey.get(key(accountId, id));
  }

  /** Every gateway of every account. */
  all(): Gateway[] {
    return [...this.#byKey.values()];
  }

  /** Sorted by id, for stable pagination. */
  list(accountId: string): Gateway[] {
    const out: Gateway[] = [];
    for (const gw of this.#byKey.values()) if (gw.accountId === accountId) out.push(gw);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Returns undefined when the id is taken. */
  async create(accountId: string, id: string, settings: GatewaySettings): Promise<Gateway | undefined> {
    if (this.get(accountId, id)) return undefined;
    const now = Date.now();
    const gw: Gateway = { accountId, id, settings, createdAt: now, modifiedAt: now };
    const inserted = await this.#db
      .insertInto('gateways')
      .values({
        account_id: accountId,
        id,
        settings: this.#stored(accountId, id, settings),
        created_at: now,
        modified_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
    this.#byKey.set(key(accountId, id), gw);
    this.#emit({ type: 'created', gateway: gw });
    return gw;
  }

  async update(accountId: string, id: string, settings: GatewaySettings): Promise<Gateway | undefined> {
    const previous = this.get(accountId, id);
    if (!previous) return undefined;
    const gw: Gateway = { ...previous, settings, modifiedAt: Math.max(Date.now(), previous.modifiedAt + 1) };
    await this.#db
      .updateTable('gateways')
      .set({ settings: this.#stored(accountId, id, settings), modified_at: gw.modifiedAt })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
    this.#byKey.set(key(accountId, id), gw);
    this.#emit({ type: 'updated', gateway: gw, previous });
    return gw;
  }

  async delete(accountId: string, id: string): Promise<Gateway | undefined> {
    const gw = this.get(accountId, id);
    if (!gw) return undefined;
    await this.#db.deleteFrom('gateways').where('account_id', '=', accountId).where('id', '=', id).execute();
    this.#byKey.delete(key(accountId, id));
    this.#emit({ type: 'deleted', gateway: gw });
    return gw;
  }

  /** The `default` gateway exists from the start and comes back after a delete (SPEC.md §1). */
  async ensureDefault(accountId: string): Promise<Gateway> {
    const existing = this.get(accountId, 'default');
    if (existing) return existing;
    const created = await this.create(accountId, 'default', { ...DEFAULT_SETTINGS });
    if (created) return created;
    // Another node sharing the database created it first: take theirs.
    await this.load();
    return (
      this.get(accountId, 'default') ?? {
        accountId,
        id: 'default',
        settings: { ...DEFAULT_SETTINGS },
        createdAt: Date.now(),
        modifiedAt: Date.now(),
      }
    );
  }

  #emit(change: GatewayChange): void {
    for (const l of this.#listeners) l(change);
  }
}

function key(accountId: string, id: string): string {
  return `${accountId}\u0000${id}`;
}
