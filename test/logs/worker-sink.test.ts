import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { startWriterThread } from '../../src/db/writer-thread.ts';
import { encodeBatch, forEachEncodedRow } from '../../src/logs/batch-codec.ts';
import { LOG_COLUMNS } from '../../src/logs/log-columns.ts';
import { unpack } from '../../src/logs/payload.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { workerLogSink } from '../../src/logs/worker-sink.ts';
import type { LogRow, Refusal } from '../../src/logs/writer.ts';
import { row, rowsWithBodies } from './log-row.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function database() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-worker-sink-'));
  dirs.push(dir);
  const path = join(dir, 'g.db');
  const { db, raw } = openSqlite(path);
  await migrate(db);
  return { dir, path, db, raw };
}

// Bodies cut from one larger buffer, as the gateway's are (request bodies, captured chunks).
const REQUEST = '{"messages":[{"role":"user","content":"hi ✓"}]}';
const RESPONSE = '{"id":"c1"}';
const pool = Buffer.from('x'.repeat(100) + REQUEST + RESPONSE);
const requestEnd = 100 + Buffer.byteLength(REQUEST);
const withBodies = (i: number): LogRow => ({
  ...row(i),
  payload: {
    request: i % 3 === 0 ? null : pool.subarray(100, requestEnd),
    response: pool.subarray(requestEnd),
    requestTruncated: i === 4,
    responseTruncated: i === 5,
  },
});

describe('log batches crossing to the writer thread', () => {
  it('every column and body comes back out of an encoded batch, whatever buffer the bodies were cut from', () => {
    const rows = Array.from({ length: 12 }, (_, i) => (i % 2 ? withBodies(i) : row(i)));
    const batch = encodeBatch(rows);
    // Only the bodies' bytes travel (each after its format byte), not the buffer they were cut from.
    expect(batch.bodies.byteLength).toBe(
      rows.reduce(
        (n, r) =>
          n + (r.payload ? (r.payload.request ? r.payload.request.length + 1 : 0) + RESPONSE.length + 1 : 0),
        0,
      ),
    );
    const decoded: LogRow[] = [];
    forEachEncodedRow(batch, (values, bodies) => {
      const back = Object.fromEntries(LOG_COLUMNS.map((c, i) => [c, values[i]])) as LogRow;
      if (bodies) {
        back.payload = {
          request: unpack(bodies.request),
          response: unpack(bodies.response),
          requestTruncated: bodies.requestTruncated,
          responseTruncated: bodies.responseTruncated,
        };
      }
      decoded.push(back);
    });
    expect(decoded).toEqual(rows);
  });

  it('a string with line breaks and quotes stays within its row', () => {
    const tricky = { ...row(1), error: 'line one\nline "two"\r\n\u2028end', metadata: '{"k":"a\\nb"}' };
    const decoded: unknown[][] = [];
    forEachEncodedRow(encodeBatch([tricky, row(2)]), (values) => decoded.push(values));
    expect(decoded).toHaveLength(2);
    expect(decoded[0]![LOG_COLUMNS.indexOf('error')]).toBe(tricky.error);
    expect(decoded[0]![LOG_COLUMNS.indexOf('metadata')]).toBe(tricky.metadata);
    expect(decoded[1]![LOG_COLUMNS.indexOf('id')]).toBe('log-0002');
  });

  it('rows sent to the thread are stored, bodies included, and stop() ends it', async () => {
    const { path, db, raw } = await database();
    const errors: string[] = [];
    const thread = startWriterThread(raw, path, 1_000, (m) => errors.push(m));
    const sink = workerLogSink(thread, sqliteLogSink(raw));
    const rows = Array.from({ length: 70 }, (_, i) => withBodies(i));
    await sink.insert(rows.slice(0, 40));
    await sink.insert(rows.slice(40));
    // Visible to this thread's connection as soon as insert() resolves.
    expect((raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c).toBe(70);
    const stored = raw
      .prepare("SELECT request, response, response_truncated FROM log_payloads WHERE log_id = 'log-0005'")
      .get() as { request: Uint8Array; response: Uint8Array; response_truncated: number };
    expect(unpack(stored.request)?.toString()).toBe(REQUEST);
    expect(unpack(stored.response)?.toString()).toBe(RESPONSE);
    expect(stored.response_truncated).toBe(1);
    await thread.stop();
    expect(errors).toEqual([]);
    await db.destroy();
  });

  it('a row the thread cannot store is dropped and reported with the reason; the rest of the batch is stored', async () => {
    const { path, db, raw } = await database();
    const thread = startWriterThread(raw, path, 1_000, () => undefined);
    const reports: Refusal[] = [];
    const sink = workerLogSink(thread, sqliteLogSink(raw), (r) => reports.push(r));
    expect(await sink.insert([{ ...row(1), provider: null as unknown as string }, row(2)])).toEqual([
      'log-0001',
    ]);
    expect(reports).toEqual([{ ids: ['log-0001'], reason: expect.stringMatching(/NOT NULL/) }]);
    expect((raw.prepare('SELECT id FROM logs').all() as Array<{ id: string }>).map((r) => r.id)).toEqual([
      'log-0002',
    ]);
    await thread.stop();
    await db.destroy();
  });

  it('a batch the thread cannot store for another reason is rejected with it (the writer keeps it)', async () => {
    const { path, db, raw } = await database();
    const thread = startWriterThread(raw, path, 1_000, () => undefined);
    const sink = workerLogSink(thread, sqliteLogSink(raw));
    raw.exec('DROP TABLE log_payloads');
    await expect(sink.insert(rowsWithBodies(3))).rejects.toThrow(/no such table/);
    expect((raw.prepare('SELECT count(*) AS n FROM logs').get() as { n: number }).n).toBe(0);
    await thread.stop();
    await db.destroy();
  });

  it('when the thread cannot start, logs go to the fallback sink and the failure is reported once', async () => {
    const { dir, db, raw } = await database();
    // The thread's database would live under a regular file: it cannot open it.
    writeFileSync(join(dir, 'not-a-dir'), '');
    const errors: string[] = [];
    const thread = startWriterThread(raw, join(dir, 'not-a-dir', 'g.db'), 1_000, (m) => errors.push(m));
    const sink = workerLogSink(thread, sqliteLogSink(raw));
    const deadline = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/SQLite writer thread stopped .*writing logs on the main thread/);
    expect(thread.alive).toBe(false);
    await sink.insert([row(1), row(2)]);
    expect((raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c).toBe(2);
    await thread.stop();
    expect(errors).toHaveLength(1);
    await db.destroy();
  });
});
