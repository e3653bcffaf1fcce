import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.ts';
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
