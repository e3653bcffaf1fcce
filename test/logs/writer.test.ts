import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { LogJournal } from '../../src/logs/journal.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { type LogSink, LogWriter } from '../../src/logs/writer.ts';
import { row } from './log-row.ts';

/** The real SQLite sink, each batch held until `release()` and its size recorded. */
async function heldSink() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-writer-'));
  const { db, raw } = openSqlite(join(dir, 'g.db'));
  await migrate(db);
  const real = sqliteLogSink(raw);
  const sizes: number[] = [];
  let release: () => void = () => undefined;
  let held = new Promise<void>((r) => {
    release = r;
  });
  const sink: LogSink = {
    async insert(rows) {
      sizes.push(rows.length);
      await held;
      await real.insert(rows);
    },
  };
  return {
    sink,
    sizes,
    stored: () => (raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c,
    release: () => {
      release();
      held = Promise.resolve();
    },
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('log writer batches', () => {
  it('rows queued while a batch is being stored wait for a full batch instead of going out one by one', async () => {
    const s = await heldSink();
    const writer = new LogWriter(s.sink, {
      flushIntervalMs: 60_000,
      batchSize: 10,
      onError: () => undefined,
    });
    for (let i = 0; i < 10; i++) writer.enqueue(row(i)); // a full batch: sent now, held by the sink
    for (let i = 10; i < 13; i++) writer.enqueue(row(i)); // arrive while it is stored
    s.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.sizes).toEqual([10]);
    expect(writer.pending).toBe(3);
    for (let i = 13; i < 20; i++) writer.enqueue(row(i)); // now 10 again: the next full batch
    await new Promise((r) => setTimeout(r, 50));
    expect(s.sizes).toEqual([10, 10]);
    expect(s.stored()).toBe(20);
    await s.close();
  });

  it('a flush asked for during a flush still writes every row queued before it was asked', async () => {
    const s = await heldSink();
    const writer = new LogWriter(s.sink, {
      flushIntervalMs: 60_000,
      batchSize: 100,
      onError: () => undefined,
    });
    writer.enqueue(row(1));
    const first = writer.flush(); // held by the sink
    writer.enqueue(row(2));
    writer.enqueue(row(3));
    const second = writer.flush();
    s.release();
    await second;
    await first;
    expect(s.stored()).toBe(3);
    expect(writer.pending).toBe(0);
    await s.close();
  });
});

describe('log writer, rows with large bodies', () => {
  it('writes once the queue holds a quarter of its bound, before large bodies fill it and spill', async () => {
    const s = await heldSink();
    s.release();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-writer-journal-'));
    const journal = new LogJournal(join(dir, 'journal.ndjson'));
    const writer = new LogWriter(s.sink, {
      flushIntervalMs: 60_000,
      batchSize: 500,
      maxQueueBytes: 1024 * 1024,
      journal,
      onError: () => undefined,
    });
    const body = Buffer.alloc(100 * 1024, 'x');
    for (let i = 0; i < 40; i++) {
      writer.enqueue({
        ...row(i),
        payload: { request: body, response: body, requestTruncated: false, responseTruncated: false },
      });
      // Requests arrive over time: the writer gets its turns in between.
      await new Promise((r) => setTimeout(r, 5));
    }
    await writer.flush();
    // 40 rows of 200 KB: 8 MB through a 1 MB queue with no batch full and no timer due.
    expect(writer.spilled).toBe(0);
    expect(s.stored()).toBe(40);
    journal.close();
    rmSync(dir, { recursive: true, force: true });
    await s.close();
  });
});

describe('log writer, rows the database refuses', () => {
  it('announces only the rows stored, not those the sink says the database refused', async () => {
    const s = await heldSink();
    s.release();
    const refusing: LogSink = {
      async insert(rows) {
        await s.sink.insert(rows.filter((r) => r.id !== row(1).id));
        return [row(1).id];
      },
    };
    const writer = new LogWriter(refusing, {
      flushIntervalMs: 60_000,
      batchSize: 10,
      onError: () => undefined,
    });
    const announced: string[] = [];
    writer.onWritten((rows) => announced.push(...rows.map((r) => r.id)));
    for (let i = 0; i < 3; i++) writer.enqueue(row(i));
    await writer.flush();
    expect(announced).toEqual([row(0).id, row(2).id]);
    expect(s.stored()).toBe(2);
    await s.close();
  });
});
