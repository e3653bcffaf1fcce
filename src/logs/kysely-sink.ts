import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { payloadRow } from './payload.ts';
import type { LogSink } from './writer.ts';

/** Rows per INSERT: Postgres allows 65535 bind parameters per statement; under 40 columns × 500 stays well under. */
const CHUNK = 500;

/**
 * Log batches into Postgres (or any Kysely database): multi-row inserts in one transaction. A row
 * whose id is already stored is skipped, so a batch sent again after an unknown outcome (a commit
 * whose answer was lost, a journal replay cut short) stores each row once instead of failing for
 * good on the unique id.
 */
export function kyselyLogSink(db: Kysely<Database>): LogSink {
  return {
    async insert(rows) {
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += CHUNK) {
          const chunk = rows.slice(i, i + CHUNK);
          await tx
            .insertInto('logs')
            .values(chunk.map(({ payload: _payload, ...row }) => row))
            .onConflict((c) => c.column('id').doNothing())
            .execute();
          const payloads = chunk.flatMap((row) => payloadRow(row) ?? []);
          if (payloads.length > 0)
            await tx
              .insertInto('log_payloads')
              .values(payloads)
              .onConflict((c) => c.column('log_id').doNothing())
              .execute();
        }
      });
    },
  };
}
