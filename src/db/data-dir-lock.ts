import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * One gateway process per SQLite database. A second process on the same data dir would keep its
 * own copy of the config (a token revoked through one would still pass on the other), its own
 * rate-limit counters and its own cache, without a word. The lock is SQLite's own, an exclusive
 * lock on a small file next to the database, held while the process runs; the kernel lets go of it
 * when the process ends, however it ends, so a crash never leaves a stale lock behind.
 *
 * Returns the release function, or throws with what to do instead.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'gatehouse.lock');
  const lock = new DatabaseSync(path);
  chmodSync(path, 0o600);
  try {
    lock.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
  } catch (err) {
    lock.close();
    if ((err as { errcode?: number }).errcode !== SQLITE_BUSY) throw err;
    throw new Error(
      `the data dir ${dataDir} is in use by another Gatehouse process. Give each process its own GATEHOUSE_DATA_DIR, or share config and logs between nodes through Postgres (GATEHOUSE_DATABASE_URL)`,
    );
  }
  return () => lock.close();
}

const SQLITE_BUSY = 5;
