import { type Kysely, sql } from 'kysely';
import { LOG_BATCH_CHANNEL, logBatchPayloads } from '../db/change-feed.ts';
import type { Database } from '../db/tables.ts';
import { payloadRow } from './payload.ts';
import type { LogSink } from './writer.ts';

/** Rows per INSERT: Postgres allows 65535 bind parameters per statement; under 40 columns × 500 stays well under. */
const CHUNK = 500;

/**
 * Log batches into Postgres (or any Kysely database): multi-row inserts in one transaction. A row
 * whose id is already stored is skipped, so a batch sent again after an unknown outcome (a commit
 * whose answer was lost, a journal replay cut short) stores each row once instead of failing for
 * good on the unique id. With `announceAs` (Postgres, several nodes), the transaction also
 * NOTIFYs the stored rows' `seq` values, delivered to the other nodes when it commits, for their
 * live tails.
 */
export function kyselyLogSink(db: Kysely<Database>, opts: { announceAs?: string } = {}): LogSink {
  return {
    async insert(rows) {
      await db.transaction().execute(async (tx) => {
        const seqs: number[] = [];
        for (let i = 0; i < rows.length; i += CHUNK) {
          const chunk = rows.slice(i, i + CHUNK);
          const insert = tx
            .insertInto('logs')
            .values(chunk.map(({ payload: _payload, ...row }) => row))
            .onConflict((c) => c.column('id').doNothing());
          if (opts.announceAs === undefined) await insert.execute();
          else for (const r of await insert.returning('seq').execute()) seqs.push(Number(r.seq));
          const payloads = chunk.flatMap((row) => payloadRow(row) ?? []);
          if (payloads.length > 0)
            await tx
              .insertInto('log_payloads')
              .values(payloads)
              .onConflict((c) => c.column('log_id').doNothing())
              .execute();
        }
        if (opts.announceAs === undefined || seqs.length === 0) return;
        for (const p of logBatchPayloads(opts.announceAs, seqs)) {
          await sql`SELECT pg_notify(${LOG_BATCH_CHANNEL}, ${p})`.execute(tx);
        }
      });
    },
  };
}
