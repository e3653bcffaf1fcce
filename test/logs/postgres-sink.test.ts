import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { LOG_BATCH_CHANNEL } from '../../src/db/change-feed.ts';
import { type OpenDatabase, openDatabase } from '../../src/db/open.ts';
import { startPostgresLogThread } from '../../src/db/postgres-log-thread.ts';
import { encodeBatch } from '../../src/logs/batch-codec.ts';
import { LOG_COLUMNS } from '../../src/logs/log-columns.ts';
import { unpack } from '../../src/logs/payload.ts';
import { postgresLogSink } from '../../src/logs/postgres-sink.ts';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from '../helpers/postgres-server.ts';
import { row, rowsWithBodies } from './log-row.ts';

let server: PostgresServer | undefined;
let database: OpenDatabase | undefined;
const opened: OpenDatabase[] = [];
afterAll(async () => {
  await database?.close();
  for (const d of opened) await d.close();
  await server?.stop();
});

/** A fresh database on this file's server, opened as the gateway opens one. */
async function freshDatabase(): Promise<{ db: OpenDatabase; url: string }> {
  server ??= await startPostgres();
  const url = await server!.createDatabase();
  const db = await openDatabase(
    { databaseUrl: url, databaseQueryTimeoutMs: 30_000 } as Config,
    () => undefined,
  );
  return { db, url };
}

describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])('Postgres log sink', () => {
  it('a batch sent again stores each row and body once (a retry after an unknown outcome)', async () => {
    ({ db: database } = await freshDatabase());
    const rows = rowsWithBodies(40);
    const sink = postgresLogSink(database.db);
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

  it('stores every column of every row as given, across several chunks, and announces each row once', async () => {
    const { db, url } = await freshDatabase();
    try {
      const rows = rowsWithBodies(1_234).map((r, i) => ({
        ...r,
        id: `chunked-${i}`,
        metadata: i % 2 ? `{"n":${i},"who":"José"}` : null,
        cost: i % 3 ? i / 1000 : null,
        payload: i % 5 ? r.payload : undefined,
      }));
      const announced: number[] = [];
      const notify = new pg.Client({ connectionString: url });
      await notify.connect();
      await notify.query(`LISTEN ${LOG_BATCH_CHANNEL}`);
      notify.on('notification', (n) => {
        for (const [a, b] of JSON.parse(n.payload!).r as Array<[number, number]>)
          for (let s = a; s <= b; s++) announced.push(s);
      });
      await postgresLogSink(db.db, { announceAs: 'node-a' }).insert(rows);
      const stored = await db.db.selectFrom('logs').selectAll().orderBy('seq').execute();
      expect(stored).toHaveLength(rows.length);
      for (const i of [0, 1, 499, 500, 777, 1_233]) {
        const got = stored.find((r) => r.id === rows[i]!.id)!;
        for (const c of LOG_COLUMNS) expect([c, got[c]]).toEqual([c, rows[i]![c] ?? null]);
      }
      const bodies = await db.db.selectFrom('log_payloads').select('log_id').execute();
      expect(bodies).toHaveLength(rows.filter((r) => r.payload).length);
      await new Promise((r) => setTimeout(r, 200));
      await notify.end();
      expect(announced.sort((a, b) => a - b)).toEqual(stored.map((r) => Number(r.seq)));
    } finally {
      await db.close();
    }
  });

  it('a row the database refuses is dropped and reported; the rest of its batch is stored', async () => {
    const { db } = await freshDatabase();
    try {
      // Values the row builder no longer makes, written straight to the sink: a fractional count
      // for an integer column, an index entry past Postgres's ~2.7 KB.
      const rows = rowsWithBodies(6).map((r, i) => ({
        ...r,
        id: `refused-${i}`,
        tokens_in: i === 1 ? 3.5 : r.tokens_in,
        model:
          i === 4
            ? [...Array(3000)].map((_, k) => String.fromCharCode(0x4e00 + ((k * 7919) % 20000))).join('')
            : r.model,
      }));
      const refused: Array<[string[], string]> = [];
      const sink = postgresLogSink(db.db, { onRefused: ({ ids, reason }) => refused.push([ids, reason]) });
      expect(await sink.insert(rows)).toEqual(['refused-1', 'refused-4']);
      const stored = await db.db.selectFrom('logs').select('id').orderBy('id').execute();
      expect(stored.map((r) => r.id)).toEqual(['refused-0', 'refused-2', 'refused-3', 'refused-5']);
      const bodies = await db.db.selectFrom('log_payloads').select('log_id').orderBy('log_id').execute();
      expect(bodies.map((r) => r.log_id)).toEqual(
        stored.map((r) => r.id).filter((id) => rows.find((r) => r.id === id)!.payload),
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]![0]).toEqual(['refused-1', 'refused-4']);
      expect(refused[0]![1]).toMatch(/integer/);
      // Sent again (the writer cannot know what a lost answer committed): nothing twice.
      await sink.insert(rows);
      expect(await db.db.selectFrom('logs').select('id').execute()).toHaveLength(4);
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])('the Postgres log thread', () => {
  it('stores a batch from its own connection, every column and body; reports the rows Postgres refuses; stops', async () => {
    const { db, url } = await freshDatabase();
    opened.push(db);
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
