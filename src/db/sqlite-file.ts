import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * A connection to the SQLite file with Gatehouse's settings, for any thread (the log writer's opens
 * its own with this, and loads nothing else of the database layer).
 */
export function openSqliteFile(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const raw = new DatabaseSync(path);
  // Token hashes, provider metadata and (in logs) prompts live here: owner-only, like the admin token.
  // SQLite gives its -wal and -shm files the database file's mode.
  if (path !== ':memory:') chmodSync(path, 0o600);
  // WAL lets the log writer and API readers work side by side; NORMAL sync is durable across
  // process crashes (the OS still has the pages), which is the bound the README states.
  raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  return raw;
}
