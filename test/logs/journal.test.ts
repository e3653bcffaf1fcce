import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogJournal } from '../../src/logs/journal.ts';
import type { LogRow } from '../../src/logs/writer.ts';
import { PRLIMIT, skipWithoutPrlimit } from '../helpers/prlimit.ts';
import { row } from './log-row.ts';

const { skip: SKIP_PRLIMIT, missing: MISSING } = skipWithoutPrlimit('the journal full-disk test');

/** Sets this process's soft limit on the size of a file it writes (a full disk, as EFBIG). */
const fileSizeLimit = (bytes: number | 'unlimited') =>
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:unlimited`]);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory of its own for one test's journal, removed after it. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-journal-'));
  dirs.push(dir);
  return dir;
}

/**
 * Appends `r` with the file size limit at `limit` bytes, as a full disk would stop it, and lifts
 * the limit again: the error code the append failed with, or undefined if it did not.
 */
function appendPastLimit(journal: LogJournal, r: LogRow, limit: number): string | undefined {
  fileSizeLimit(limit);
  try {
    journal.append(r);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  } finally {
    fileSizeLimit('unlimited');
  }
}

describe('the log journal', () => {
  it('keeps its rows across appends and a replay, and starts a new file for rows spilled during one', async () => {
    const dir = tempDir();
    const journal = new LogJournal(join(dir, 'j.ndjson'));
    for (let i = 0; i < 3; i++) journal.append(row(i));
    const read: string[] = [];
    for await (const batch of journal.batches(2)) {
      read.push(...batch.map((r) => r.id));
      journal.append(row(10 + read.length)); // spilled meanwhile: the next replay's
    }
    journal.done();
    expect(read).toEqual([row(0).id, row(1).id, row(2).id]);
    expect(journal.waiting).toBe(true);
    const next: string[] = [];
    for await (const batch of journal.batches(10)) next.push(...batch.map((r) => r.id));
    journal.done();
    expect(next).toEqual([row(12).id, row(13).id]);
    expect(journal.waiting).toBe(false);
    journal.close();
  });

  it.skipIf(SKIP_PRLIMIT)(
    'a row a full disk cuts short is taken back, so it does not swallow the next row',
    async () => {
      if (!PRLIMIT) throw new Error(`${MISSING}; under CI=true this is a failure`);
      const dir = tempDir();
      const path = join(dir, 'j.ndjson');
      const journal = new LogJournal(path);
      journal.append(row(1));
      const big = { ...row(2), request_head: 'x'.repeat(10_000) };
      expect(appendPastLimit(journal, big, statSync(path).size + 100)).toBe('EFBIG');
      journal.append(row(3));
      const ids: string[] = [];
      for await (const batch of journal.batches(10)) ids.push(...batch.map((r) => r.id));
      journal.done();
      // Half of row 2's line, then row 3's, would read as one line that does not parse.
      expect(ids).toEqual([row(1).id, row(3).id]);
    },
  );

  it('keeps bodies as they are in a file beside the lines, and replays both', async () => {
    const dir = tempDir();
    const path = join(dir, 'j.ndjson');
    const journal = new LogJournal(path);
    const bodies = [randomBytes(100_000), Buffer.alloc(0), randomBytes(3)];
    const rows: LogRow[] = [
      withBodies(row(1), bodies[0]!, null),
      withBodies(row(2), bodies[1]!, bodies[2]!),
      row(3),
    ];
    for (const r of rows) journal.append(r);
    // Not base64 in the lines: 1 MB of bodies cost ~7 ms a row that way, ~0.5 now.
    expect(statSync(path).size).toBeLessThan(3_000);
    expect(statSync(`${path}.bodies`).size).toBe(100_003);
    const read: LogRow[] = [];
    for await (const batch of journal.batches(10)) read.push(...batch);
    journal.done();
    expect(read.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(read[0]!.payload!.request!.equals(bodies[0]!)).toBe(true);
    expect(read[0]!.payload!.response).toBeNull();
    expect(read[1]!.payload!.request!.length).toBe(0);
    expect(read[1]!.payload!.response!.equals(bodies[2]!)).toBe(true);
    expect(read[1]!.payload!.responseTruncated).toBe(true);
    expect(read[2]!.payload).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replays a journal an older version wrote, bodies in base64 in the line', async () => {
    const dir = tempDir();
    const path = join(dir, 'j.ndjson');
    const payload = { request: Buffer.from('{"q":1}').toString('base64'), response: null };
    writeFileSync(
      path,
      `${JSON.stringify({ ...row(1), payload: { ...payload, requestTruncated: false, responseTruncated: false } })}\n`,
    );
    const read: LogRow[] = [];
    for await (const batch of new LogJournal(path).batches(10)) read.push(...batch);
    expect(read[0]!.payload!.request!.toString()).toBe('{"q":1}');
    expect(read[0]!.payload!.response).toBeNull();
  });

  it.skipIf(SKIP_PRLIMIT)('a row whose bodies a full disk cuts short is taken back whole', async () => {
    if (!PRLIMIT) throw new Error(`${MISSING}; under CI=true this is a failure`);
    const dir = tempDir();
    const path = join(dir, 'j.ndjson');
    new LogJournal(path).append(withBodies(row(1), Buffer.from('one'), null));
    // Another run's journal on the same files, as after a restart: it must not cut what the
    // first wrote.
    const journal = new LogJournal(path);
    // Room for the second row's request body, not its response body.
    expect(
      appendPastLimit(
        journal,
        withBodies(row(2), randomBytes(4_000), randomBytes(4_000)),
        statSync(`${path}.bodies`).size + 5_000,
      ),
    ).toBe('EFBIG');
    expect(statSync(`${path}.bodies`).size).toBe(3);
    journal.append(withBodies(row(3), Buffer.from('three'), null));
    const read: LogRow[] = [];
    for await (const batch of journal.batches(10)) read.push(...batch);
    journal.done();
    expect(read.map((r) => [r.id, r.payload?.request?.toString()])).toEqual([
      [row(1).id, 'one'],
      [row(3).id, 'three'],
    ]);
  });
});

function withBodies(r: LogRow, request: Buffer | null, response: Buffer | null): LogRow {
  return {
    ...r,
    payload: { request, response, requestTruncated: false, responseTruncated: response !== null },
  };
}
