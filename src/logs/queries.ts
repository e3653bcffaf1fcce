import type { Kysely, Selectable } from 'kysely';
import type { Database, LogsTable } from '../db/tables.ts';

export type LogRowRead = Selectable<LogsTable>;

/** Reads of the log store for the management API. */
export class LogQueries {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Newest first. */
  async list(
    accountId: string,
    gatewayId: string,
    page: number,
    perPage: number,
  ): Promise<{ rows: LogRowRead[]; total: number }> {
    const base = this.#db
      .selectFrom('logs')
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
    ]);
    return { rows, total: Number(count?.n ?? 0) };
  }

  async get(accountId: string, gatewayId: string, id: string): Promise<LogRowRead | undefined> {
    return this.#db
      .selectFrom('logs')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .where('id', '=', id)
      .executeTakeFirst();
  }
}
