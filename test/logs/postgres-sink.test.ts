import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { type OpenDatabase, openDatabase } from '../../src/db/open.ts';
import { kyselyLogSink } from '../../src/logs/kysely-sink.ts';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from '../helpers/postgres-server.ts';
import { rowsWithBodies } from './log-row.ts';

let server: PostgresServer | undefined;
let database: OpenDatabase | undefined;
afterAll(async () => {
  await database?.close();
  await server?.stop();
});

describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])('Postgres log sink', () => {
  it('a batch sent again stores each row and body once (a retry after an unknown outcome)', async () => {
    server = await startPostgres();
    const url = await server!.createDatabase();
    database = await openDatabase(
      { databaseUrl: url, databaseQueryTimeoutMs: 30_000 } as Config,
      () => undefined,
    );
    const rows = rowsWithBodies(40);
    const sink = kyselyLogSink(database.db);
    // The first try committed, but its answer was lost (a dropped connection, a timeout): the
    // writer cannot tell, so it sends the batch again. A unique id refused would stop it for good.
    await sink.insert(rows.slice(0, 35));
    await sink.insert(rows);
    const count = async (table: 'logs' | 'log_payloads') =>
      Number(
        (
          await database!.db
            .selectFrom(table)
            .select((e) => e.fn.countAll().as('c'))
            .executeTakeFirstOrThrow()
        ).c,
      );
    expect(await count('logs')).toBe(40);
    expect(await count('log_payloads')).toBe(40);
  });
});
