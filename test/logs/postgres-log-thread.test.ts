import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { type OpenDatabase, openDatabase } from '../../src/db/open.ts';
import { startPostgresLogThread } from '../../src/db/postgres-log-thread.ts';
import { encodeBatch } from '../../src/logs/batch-codec.ts';
import { unpack } from '../../src/logs/payload.ts';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from '../helpers/postgres-server.ts';
import { row, rowsWithBodies } from './log-row.ts';

let server: PostgresServer | undefined;
const opened: OpenDatabase[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
  await server?.stop();
});

async function freshDatabase(): Promise<{ db: OpenDatabase; url: string }> {
  server ??= await startPostgres();
  const url = await server!.createDatabase();
  const db = await openDatabase(
    { databaseUrl: url, databaseQueryTimeoutMs: 30_000 } as Config,
    () => undefined,
  );
  opened.push(db);
  return { db, url };
}

describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])('the Postgres log thread', () => {
  it('stores a batch from its own connection, every column and body; reports the rows Postgres refuses; stops', async () => {
    const { db, url } = await freshDatabase();
    const errors: string[] = [];
    const thread = startPostgresLogThread({
      connectionString: url,
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 30_000,
      onError: (m) => errors.push(m),
    });
    const rows = rowsWithBodies(30);
    await expect(thread.insertLogs(encodeBatch(rows))).resolves.toBeUndefined();
    const stored = await db.db.selectFrom('logs').selectAll().orderBy('id').execute();
    expect(stored.map((r) => r.id)).toEqual(rows.map((r) => r.id).sort());
    const first = stored.find((r) => r.id === rows[3]!.id)!;
    for (const [column, value] of Object.entries(rows[3]!)) {
      if (column !== 'payload') expect(first[column as keyof typeof first], column).toEqual(value ?? null);
    }
    const payloads = await db.db.selectFrom('log_payloads').selectAll().execute();
    expect(payloads).toHaveLength(rows.filter((r) => r.payload).length);
    for (const p of payloads) {
      const sent = rows.find((r) => r.id === p.log_id)!.payload!;
      expect(unpack(p.request)?.equals(sent.request!) ?? sent.request === null).toBe(true);
      expect(unpack(p.response)?.equals(sent.response!) ?? sent.response === null).toBe(true);
    }

    // A token count no integer column holds: that row is refused and named, the others stored.
    const bad = { ...row(100), id: 'too-many-tokens', tokens_in: 1e12 };
    const refusal = await thread.insertLogs(encodeBatch([row(101), bad, row(102)]));
    expect(refusal?.ids).toEqual(['too-many-tokens']);
    expect(refusal?.reason).toMatch(/out of range/);
    const ids = (await db.db.selectFrom('logs').select('id').execute()).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['log-0101', 'log-0102']));
    expect(ids).not.toContain('too-many-tokens');

    await thread.stop();
    expect(thread.alive).toBe(false);
    await expect(thread.insertLogs(encodeBatch([row(103)]))).rejects.toThrow(
      /Postgres log thread has stopped/,
    );
    expect(errors).toEqual([]);
  });

  it('a database it cannot reach fails the batch, for the writer to keep and send again', async () => {
    const thread = startPostgresLogThread({
      connectionString: 'postgres://nobody@127.0.0.1:1/none',
      connectTimeoutMs: 2_000,
      queryTimeoutMs: 5_000,
      onError: () => undefined,
    });
    await expect(thread.insertLogs(encodeBatch([row(1)]))).rejects.toThrow();
    expect(thread.alive).toBe(true);
    await thread.stop();
  });
});
