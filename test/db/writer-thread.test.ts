import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.ts';
import { threadKysely } from '../../src/db/sqlite-thread-dialect.ts';
import { startWriterThread } from '../../src/db/writer-thread.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WAL checkpoints on the SQLite writer thread', () => {
  it('the thread copies committed pages into the database file; the request connection does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cp-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const { raw } = openSqlite(path);
    const errors: string[] = [];
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const cp = startWriterThread(raw, path, 50, (m) => errors.push(m));
    // Well under the raised autocheckpoint: without the thread these pages would stay in the WAL.
    expect(raw.prepare('PRAGMA wal_autocheckpoint').get()).toEqual({ wal_autocheckpoint: 20_000 });
    const before = statSync(path).size;
    const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
    raw.exec('BEGIN');
    for (let i = 0; i < 500; i++) insert.run(Buffer.alloc(2000, i));
    raw.exec('COMMIT');
    expect(statSync(path).size).toBe(before);
    await until(() => statSync(path).size > before + 500 * 2000 * 0.9, 'the database file to hold the rows');
    await cp.stop();
    raw.close();
    expect(errors).toEqual([]);
  });

  it('waits for a transaction sent a statement at a time to end, rather than failing inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cp-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const { raw } = openSqlite(path);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const errors: string[] = [];
    const cp = startWriterThread(raw, path, 20, (m) => errors.push(m));
    const db = threadKysely(cp, raw);
    try {
      await db.transaction().execute(async (tx) => {
        await sql`INSERT INTO t (v) VALUES ('a')`.execute(tx);
        // Several checkpoint intervals pass with the transaction open on the thread's connection.
        await new Promise((r) => setTimeout(r, 200));
        await sql`INSERT INTO t (v) VALUES ('b')`.execute(tx);
      });
      expect(raw.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    } finally {
      await cp.stop();
      raw.close();
    }
    expect(errors).toEqual([]);
  });

  it('stop() ends the thread, also when nothing else keeps the process alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cp-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const { raw } = openSqlite(path);
    const cp = startWriterThread(raw, path, 1_000, () => undefined);
    await expect(cp.stop()).resolves.toBeUndefined();
    expect(cp.alive).toBe(false);
    raw.close();
  });
});

describe('queries on the SQLite writer thread', () => {
  function open() {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-q-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const { raw } = openSqlite(path);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const thread = startWriterThread(raw, path, 1_000, () => undefined);
    return { raw, thread, db: threadKysely(thread, raw) };
  }
  // ~10^6 rows counted in SQLite: long enough for timers here to come due while it runs.
  const slow = sql<{
    n: number;
  }>`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) AS n FROM c`;

  it('a long query leaves this thread free: its timers run while the query does', async () => {
    const { raw, thread, db } = open();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const query = slow.execute(db);
      // On this thread's own connection (node:sqlite is synchronous), no timer could run until
      // the query was done.
      const ticksWhenDone = await query.then((r) => {
        expect(r.rows).toEqual([{ n: 2_000_000 }]);
        return ticks;
      });
      clearInterval(timer);
      expect(ticksWhenDone).toBeGreaterThan(0);
    } finally {
      await thread.stop();
      raw.close();
    }
  });

  it('writes, transactions that do not interleave, SQLite errors with their codes, and a stopped thread', async () => {
    const { raw, thread, db } = open();
    try {
      const inserted = await db
        .insertInto('t' as never)
        .values({ v: 'a' } as never)
        .executeTakeFirst();
      expect(Number(inserted.insertId)).toBe(1);
      // Two transactions at once: the second starts only once the first has committed.
      const seen: string[] = [];
      await Promise.all([
        db.transaction().execute(async (tx) => {
          await sql`INSERT INTO t (v) VALUES ('b')`.execute(tx);
          await new Promise((r) => setTimeout(r, 20));
          seen.push('first done');
        }),
        db.transaction().execute(async (tx) => {
          seen.push('second started');
          await sql`INSERT INTO t (v) VALUES ('c')`.execute(tx);
        }),
      ]);
      expect(seen).toEqual(['first done', 'second started']);
      const bad = await sql`SELECT nope FROM t`.execute(db).catch((e: unknown) => e);
      expect(bad).toMatchObject({
        message: expect.stringMatching(/no such column: nope/),
        code: 'ERR_SQLITE_ERROR',
        errcode: 1,
      });
      await thread.stop();
      expect(thread.alive).toBe(false);
      // Then on this thread's connection, like the log batches.
      expect((await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows).toEqual([{ n: 3 }]);
    } finally {
      await thread.stop();
      raw.close();
    }
  });

  it('a thread that dies (a query too big for its heap) is started again, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-q-'));
    dirs.push(dir);
    const path = join(dir, 'test.db');
    const { raw } = openSqlite(path);
    const reports: string[] = [];
    const thread = startWriterThread(raw, path, 1_000, (m) => reports.push(m));
    try {
      // 2 000 rows of a million characters each: far more than the thread's 256 MB heap holds.
      const huge = await thread
        .query(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) SELECT hex(zeroblob(500000)) AS v FROM c',
          [],
        )
        .catch((e: unknown) => e);
      expect(huge).toBeInstanceOf(Error);
      expect(thread.alive).toBe(false);
      expect(reports).toEqual([
        expect.stringMatching(
          /SQLite writer thread stopped .*writing logs on the main thread, starting it again in 1 s/,
        ),
      ]);
      // A transaction begun on this thread's connection meanwhile ends there, though the thread
      // starts again before it commits.
      raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      const db = threadKysely(thread, raw);
      await db.transaction().execute(async (tx) => {
        await sql`INSERT INTO t (v) VALUES ('before')`.execute(tx);
        await until(() => reports.length === 2, 'the thread to start again');
        await sql`INSERT INTO t (v) VALUES ('after')`.execute(tx);
      });
      expect(raw.isTransaction).toBe(false);
      expect(raw.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'before' }, { v: 'after' }]);
      expect(reports[1]).toBe('SQLite writer thread running again; logs and log queries are back on it');
      expect(thread.alive).toBe(true);
      expect(await thread.query('SELECT 41 + 1 AS n', [])).toEqual({ rows: [{ n: 42 }] });
    } finally {
      await thread.stop();
      raw.close();
    }
  });
});
