import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { unpack } from '../../src/logs/payload.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import type { Refusal } from '../../src/logs/writer.ts';
import { row, rowsWithBodies } from './log-row.ts';

/** Runs `test` against a fresh, migrated SQLite file, removed afterwards. */
async function withDatabase(test: (raw: DatabaseSync) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sink-'));
  const { db, raw } = openSqlite(join(dir, 'g.db'));
  try {
    await migrate(db);
    await test(raw);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SQLite log sink', () => {
  it.each([1, 31, 32, 33, 70])('stores a batch of %i rows exactly, every column', async (n) => {
    await withDatabase(async (raw) => {
      const rows = Array.from({ length: n }, (_, i) => row(i));
      await sqliteLogSink(raw).insert(rows);
      const stored = raw.prepare('SELECT * FROM logs ORDER BY id').all() as Array<Record<string, unknown>>;
      expect(stored).toHaveLength(n);
      for (const [i, s] of stored.entries()) {
        const { seq: _seq, ...rest } = s;
        expect(rest).toEqual(row(i));
      }
    });
  });

  it('a row SQLite refuses is dropped and reported, and the rest of its batch stored', async () => {
    await withDatabase(async (raw) => {
      const rows = Array.from({ length: 40 }, (_, i) => row(i));
      // A NOT NULL column left empty in the single-row tail, after a full group went in.
      rows[35] = { ...row(35), provider: null as unknown as string };
      const reports: Refusal[] = [];
      const refused = await sqliteLogSink(raw, { onRefused: (r) => reports.push(r) }).insert(rows);
      expect(refused).toEqual([rows[35]!.id]);
      expect(reports).toEqual([{ ids: [rows[35]!.id], reason: expect.stringMatching(/NOT NULL/) }]);
      const ids = (raw.prepare('SELECT id FROM logs ORDER BY id').all() as Array<{ id: string }>).map(
        (r) => r.id,
      );
      expect(ids).toEqual(
        rows
          .filter((_, i) => i !== 35)
          .map((r) => r.id)
          .sort(),
      );
    });
  });

  it('a batch that fails for another reason stores none of its rows', async () => {
    await withDatabase(async (raw) => {
      const sink = sqliteLogSink(raw);
      raw.exec('DROP TABLE log_payloads');
      await expect(sink.insert(rowsWithBodies(40))).rejects.toThrow(/no such table/);
      expect((raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c).toBe(0);
    });
  });

  it('a batch sent again stores each row and body once (a retry after an unknown outcome)', async () => {
    await withDatabase(async (raw) => {
      const rows = rowsWithBodies(40);
      const sink = sqliteLogSink(raw);
      await sink.insert(rows.slice(0, 35));
      await sink.insert(rows);
      expect((raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c).toBe(40);
      expect((raw.prepare('SELECT count(*) AS c FROM log_payloads').get() as { c: number }).c).toBe(40);
    });
  });

  it('stores each body as sent: small ones as they are, large ones compressed, none for a row without', async () => {
    await withDatabase(async (raw) => {
      const small = Buffer.from('{"model":"gpt-4o-mini"}');
      const large = Buffer.from(`data: ${'{"delta":"token"} '.repeat(2000)}\n\n`);
      await sqliteLogSink(raw).insert([
        {
          ...row(1),
          payload: { request: small, response: large, requestTruncated: false, responseTruncated: true },
        },
        {
          ...row(2),
          payload: { request: null, response: null, requestTruncated: false, responseTruncated: false },
        },
        {
          ...row(3),
          payload: { request: null, response: small, requestTruncated: true, responseTruncated: false },
        },
      ]);
      const stored = raw.prepare('SELECT * FROM log_payloads ORDER BY log_id').all() as Array<{
        log_id: string;
        request: Uint8Array | null;
        response: Uint8Array | null;
        request_truncated: number;
        response_truncated: number;
      }>;
      expect(stored.map((p) => p.log_id)).toEqual(['log-0001', 'log-0003']);
      const [first, third] = stored;
      expect(first!.request!.length).toBe(small.length + 1);
      expect(first!.response!.length).toBeLessThan(large.length / 10);
      expect(unpack(first!.request)!.equals(small)).toBe(true);
      expect(unpack(first!.response)!.equals(large)).toBe(true);
      expect([first!.request_truncated, first!.response_truncated]).toEqual([0, 1]);
      expect(third!.request).toBeNull();
      expect(unpack(third!.response)!.equals(small)).toBe(true);
      expect([third!.request_truncated, third!.response_truncated]).toEqual([1, 0]);
    });
  });
});
