import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import type { GatewaySettings } from '../gateways/schema.ts';
import type { LogRow, LogSink } from './writer.ts';

type SettingsOf = (accountId: string, gatewayId: string) => GatewaySettings | undefined;

/** Counts are re-read from the database this often, so several nodes sharing one converge. */
const RECOUNT_MS = 30_000;
/**
 * A DELETE_OLDEST gateway is trimmed once it is over its cap by this share of the cap. Finding
 * where the newest N rows end reads N index entries (~25 ms at 500 000): once per batch, as it
 * was, that cost every batch as much. A cap under 100 is kept exactly.
 */
const TRIM_SLACK = 0.01;
/**
 * Rows one trim transaction deletes. A cap lowered from millions to thousands deleted every row
 * past it in one transaction: minutes on the writer thread, with every log batch and log query
 * waiting behind it, and a write-ahead log as large as what it deleted.
 */
export const TRIM_CHUNK = 5_000;

/**
 * `log_management` (SPEC §8): a gateway keeps at most that many logs. `STOP_INSERTING` drops new
 * rows once it is full; `DELETE_OLDEST` (and an unset strategy) stores them and deletes the oldest
 * beyond the limit, bodies included. Wraps the sink, so it runs in the writer, never on a request.
 */
export function retainingSink(inner: LogSink, db: Kysely<Database>, settingsOf: SettingsOf): LogSink {
  const counts = new Map<string, { n: number; at: number }>();

  const count = async (accountId: string, gatewayId: string): Promise<number> => {
    const key = `${accountId}\u0000${gatewayId}`;
    const cached = counts.get(key);
    if (cached && Date.now() - cached.at < RECOUNT_MS) return cached.n;
    const r = await db
      .selectFrom('logs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .executeTakeFirst();
    const n = Number(r?.n ?? 0);
    counts.set(key, { n, at: Date.now() });
    return n;
  };
  const bump = (accountId: string, gatewayId: string, by: number) => {
    const c = counts.get(`${accountId}\u0000${gatewayId}`);
    if (c) c.n += by;
  };

  const trim = async (accountId: string, gatewayId: string, max: number): Promise<void> => {
    // The newest `max` rows stay; the row just past them marks where deletion starts. Newest by
    // time, as the time-ordered index holds them, so finding the edge reads `max` index entries;
    // newest by `seq` meant sorting every `seq` of the gateway, 0.6-0.9 s at a million rows
    // whatever the cap, on the writer thread, at every trim.
    const edge = await db
      .selectFrom('logs')
      .select(['created_at', 'seq'])
      .where('account_id', '=', accountId)
      .where('gateway_id', '=', gatewayId)
      .orderBy('created_at', 'desc')
      .orderBy('seq', 'desc')
      .limit(1)
      .offset(max)
      .executeTakeFirst();
    if (!edge) return;
    // The oldest rows up to the edge, a chunk per transaction, so other batches and queries run
    // in between.
    const oldest = () =>
      db
        .selectFrom('logs')
        .where('account_id', '=', accountId)
        .where('gateway_id', '=', gatewayId)
        .where((eb) => eb(eb.refTuple('created_at', 'seq'), '<=', eb.tuple(edge.created_at, edge.seq)))
        .orderBy('created_at')
        .orderBy('seq')
        .limit(TRIM_CHUNK);
    for (;;) {
      const deleted = await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('log_payloads').where('log_id', 'in', oldest().select('id')).execute();
        const r = await tx.deleteFrom('logs').where('seq', 'in', oldest().select('seq')).executeTakeFirst();
        return Number(r.numDeletedRows);
      });
      bump(accountId, gatewayId, -deleted);
      if (deleted < TRIM_CHUNK) return;
    }
  };

  return {
    async insert(rows) {
      const kept: LogRow[] = [];
      const room = new Map<string, number>();
      const toTrim = new Map<string, [string, string, number]>();
      for (const row of rows) {
        const s = settingsOf(row.account_id, row.gateway_id);
        const max = s?.log_management;
        if (!s || max === null || max === undefined || max <= 0) {
          kept.push(row);
          continue;
        }
        const key = `${row.account_id}\u0000${row.gateway_id}`;
        if (s.log_management_strategy === 'STOP_INSERTING') {
          if (!room.has(key)) room.set(key, max - (await count(row.account_id, row.gateway_id)));
          const left = room.get(key)!;
          if (left <= 0) continue;
          room.set(key, left - 1);
        } else {
          toTrim.set(key, [row.account_id, row.gateway_id, max]);
        }
        kept.push(row);
      }
      const refused = kept.length > 0 ? await inner.insert(kept) : undefined;
      for (const row of kept) if (!refused?.includes(row.id)) bump(row.account_id, row.gateway_id, 1);
      for (const [accountId, gatewayId, max] of toTrim.values()) {
        if ((await count(accountId, gatewayId)) > max + Math.floor(max * TRIM_SLACK))
          await trim(accountId, gatewayId, max);
      }
      return refused;
    },
  };
}
