import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogJournal } from '../../src/logs/journal.ts';
import { PRLIMIT, skipWithoutPrlimit } from '../helpers/prlimit.ts';
import { row } from './log-row.ts';

const { skip: SKIP_PRLIMIT, missing: MISSING } = skipWithoutPrlimit('the journal full-disk test');

/** Sets this process's soft limit on the size of a file it writes (a full disk, as EFBIG). */
const fileSizeLimit = (bytes: number | 'unlimited') =>
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:unlimited`]);

describe('the log journal', () => {
  it('keeps its rows across appends and a replay, and starts a new file for rows spilled during one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-journal-'));
    try {
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(SKIP_PRLIMIT)(
    'a row a full disk cuts short is taken back, so it does not swallow the next row',
    async () => {
      if (!PRLIMIT) throw new Error(`${MISSING}; under CI=true this is a failure`);
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-journal-'));
      const path = join(dir, 'j.ndjson');
      try {
        const journal = new LogJournal(path);
        journal.append(row(1));
        const big = { ...row(2), request_head: 'x'.repeat(10_000) };
        fileSizeLimit(statSync(path).size + 100);
        let failed: unknown;
        try {
          journal.append(big);
        } catch (err) {
          failed = err;
        } finally {
          fileSizeLimit('unlimited');
        }
        expect((failed as NodeJS.ErrnoException | undefined)?.code).toBe('EFBIG');
        journal.append(row(3));
        const ids: string[] = [];
        for await (const batch of journal.batches(10)) ids.push(...batch.map((r) => r.id));
        journal.done();
        // Half of row 2's line, then row 3's, would read as one line that does not parse.
        expect(ids).toEqual([row(1).id, row(3).id]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
