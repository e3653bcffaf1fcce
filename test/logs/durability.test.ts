import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogJournal } from '../../src/logs/journal.ts';
import { type LogRow, LogWriter, queuedBytes } from '../../src/logs/writer.ts';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { spawnCli } from '../helpers/spawn.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-journal-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const row = (i: number): LogRow =>
  ({
    id: `log-${i}`,
    account_id: 'local',
    gateway_id: 'default',
    created_at: i,
    provider: 'openai',
    model: 'gpt-4o-mini',
    path: 'chat/completions',
    method: 'POST',
    status_code: 200,
    success: 1,
    cached: 0,
    duration: 1,
    event_id: `e${i}`,
    request_id: `r${i}`,
    request_type: 'provider',
    authentication: 0,
    compat: 0,
    custom_cost: 0,
    attempt: 1,
    payload: {
      request: Buffer.from(`{"i":${i}}`),
      response: null,
      requestTruncated: false,
      responseTruncated: false,
    },
  }) as LogRow;

describe('log writer durability', () => {
  it('a full queue spills to the journal instead of dropping or growing; the next start stores it', async () => {
    const journalPath = join(tmp(), 'log-journal.ndjson');
    const failing = new LogWriter(
      { insert: async () => Promise.reject(new Error('database is locked')) },
      {
        flushIntervalMs: 1000,
        batchSize: 5,
        maxQueueBytes: 10 * queuedBytes(row(0)),
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    for (let i = 0; i < 25; i++) failing.enqueue(row(i));
    await failing.flush();
    // The bound is the queue plus the batch in flight; everything else went to disk.
    expect(failing.pending).toBeLessThanOrEqual(10 + 5);
    expect(failing.pending + failing.spilled).toBe(25);
    const spilled = failing.spilled;
    // A line cut short by a crash is skipped, the others are kept.
    writeFileSync(journalPath, '{"id":"cut', { flag: 'a' });

    const stored: LogRow[] = [];
    const next = new LogWriter(
      { insert: async (rows) => void stored.push(...rows) },
      { flushIntervalMs: 1000, batchSize: 4, onError: () => undefined, journal: new LogJournal(journalPath) },
    );
    expect(await next.replayJournal()).toBe(spilled);
    expect(stored.map((r) => r.id)).toEqual(
      Array.from({ length: spilled }, (_, i) => `log-${i + 25 - spilled}`),
    );
    expect(stored[0]!.payload!.request!.toString()).toBe(`{"i":${25 - spilled}}`);
    expect(await next.replayJournal()).toBe(0);
  });

  it('rows spilled while the database was away are stored once it is back, without a restart', async () => {
    const journalPath = join(tmp(), 'log-journal.ndjson');
    let down = true;
    const stored: string[] = [];
    const writer = new LogWriter(
      {
        insert: async (rows) => {
          if (down) throw new Error('connect ECONNREFUSED');
          stored.push(...rows.map((r) => r.id));
        },
      },
      {
        flushIntervalMs: 60_000,
        batchSize: 5,
        maxQueueBytes: 10 * queuedBytes(row(0)),
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    for (let i = 0; i < 25; i++) writer.enqueue(row(i));
    await writer.flush();
    expect(writer.spilled).toBeGreaterThan(0);
    expect(existsSync(journalPath)).toBe(true);

    down = false;
    await writer.flush(); // the queue goes in; then, caught up, the writer takes up the journal
    for (let i = 0; i < 100 && stored.length < 25; i++) await new Promise((r) => setTimeout(r, 10));
    expect([...stored].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `log-${i}`).sort());
    expect(existsSync(journalPath) || existsSync(`${journalPath}.replaying`)).toBe(false);
  });

  it('a journal an earlier run left is stored from the first flush, behind new rows, even under steady traffic; both its files', async () => {
    const journalPath = join(tmp(), 'log-journal.ndjson');
    // What an earlier run left: a replay cut short (".replaying") and rows spilled after it.
    const earlier = new LogJournal(`${journalPath}.replaying`);
    for (let i = 0; i < 7; i++) earlier.append(row(i));
    const later = new LogJournal(journalPath);
    for (let i = 7; i < 12; i++) later.append(row(i));

    const stored: string[] = [];
    const notices: string[] = [];
    const writer = new LogWriter(
      { insert: async (rows) => void stored.push(...rows.map((r) => r.id)) },
      {
        flushIntervalMs: 60_000,
        batchSize: 5,
        onError: () => undefined,
        onNotice: (m) => notices.push(m),
        journal: new LogJournal(journalPath),
      },
    );
    writer.start();
    // Traffic never lets the queue run empty: one row is always waiting when a flush ends.
    writer.enqueue(row(100));
    const flushing = writer.flush();
    writer.enqueue(row(101));
    await flushing;
    for (let i = 0; i < 100 && stored.length < 13; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stored.filter((id) => id !== 'log-100' && id !== 'log-101')).toEqual(
      Array.from({ length: 12 }, (_, i) => `log-${i}`),
    );
    expect(notices).toEqual(['stored 12 log rows from the journal']);
    expect(existsSync(journalPath) || existsSync(`${journalPath}.replaying`)).toBe(false);
    await writer.stop();
    expect(stored).toContain('log-101');
  });

  it('a stop during a journal replay ends it after the batch under way; the rest is stored by the next start, once', async () => {
    const journalPath = join(tmp(), 'log-journal.ndjson');
    const left = new LogJournal(journalPath);
    for (let i = 0; i < 20; i++) left.append(row(i));
    const stored: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let began!: () => void;
    const inserting = new Promise<void>((r) => {
      began = r;
    });
    const writer = new LogWriter(
      {
        insert: async (rows) => {
          began();
          await held;
          stored.push(...rows.map((r) => r.id));
        },
      },
      {
        flushIntervalMs: 60_000,
        batchSize: 5,
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    const replaying = writer.replayJournal();
    await inserting;
    const stopped = writer.stop();
    release();
    await stopped;
    expect(await replaying).toBe(5);
    expect(stored).toHaveLength(5);

    const next = new LogWriter(
      { insert: async (rows) => void stored.push(...rows.map((r) => r.id)) },
      {
        flushIntervalMs: 60_000,
        batchSize: 5,
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    await next.replayJournal();
    // The next start takes the cut replay up from its start; the store skips what it has.
    expect(new Set(stored)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `log-${i}`)));
  });

  it('the queue is bounded in bytes: rows with large bodies go to the journal sooner', async () => {
    const journalPath = join(tmp(), 'log-journal.ndjson');
    const writer = new LogWriter(
      { insert: async () => Promise.reject(new Error('database is locked')) },
      {
        flushIntervalMs: 60_000,
        batchSize: 1000,
        maxQueueBytes: 1024 * 1024,
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    const big = (i: number): LogRow => ({
      ...row(i),
      payload: {
        request: Buffer.alloc(200_000),
        response: null,
        requestTruncated: false,
        responseTruncated: false,
      },
    });
    for (let i = 0; i < 20; i++) writer.enqueue(big(i));
    // Five 200 KB bodies fit in 1 MiB with their rows; the sixth does not.
    expect(writer.pending).toBe(5);
    expect(writer.spilled).toBe(15);
    // Small rows still fit in the room that is left.
    for (let i = 20; i < 30; i++) writer.enqueue(row(i));
    expect(writer.pending).toBe(15);
  });

  it('a journal that cannot be written (a full disk): the row is dropped and counted, reported once, and enqueue never throws', async () => {
    const errors: string[] = [];
    const writer = new LogWriter(
      { insert: async () => Promise.reject(new Error('database is locked')) },
      {
        flushIntervalMs: 60_000,
        batchSize: 1000,
        maxQueueBytes: 3 * queuedBytes(row(0)),
        onError: (e) => errors.push((e as Error).message),
        // Every write to /dev/full fails with ENOSPC.
        journal: new LogJournal('/dev/full'),
      },
    );
    for (let i = 0; i < 10; i++) expect(() => writer.enqueue(row(i))).not.toThrow();
    expect(writer.pending).toBe(3);
    expect(writer.spilled).toBe(0);
    expect(writer.dropped).toBe(7);
    expect(errors).toEqual([
      '1 log row dropped: the database is behind and the journal cannot be written (ENOSPC: no space left on device, write)',
    ]);
    // At shutdown too: what the database refuses and the journal cannot take is counted, and said.
    await writer.stop();
    expect(writer.dropped).toBe(10);
    expect(errors.at(-1)).toMatch(
      /0 rows went to the journal, for the next start; 3 could not be written there and are lost/,
    );
  });

  it('kill -9 under load: every request answered more than one flush interval before the kill is in the logs', async () => {
    const mock = await startMockUpstream();
    const dataDir = tmp();
    const env = {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_LOG_FLUSH_MS: '200',
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    };
    try {
      const first = spawnCli(['start'], env);
      const url = (await first.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const answered: Array<{ id: string; at: number }> = [];
      const deadline = Date.now() + 1500;
      const worker = async () => {
        while (Date.now() < deadline) {
          const res = await fetch(`${url}/v1/local/default/openai/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
          }).catch(() => undefined);
          if (!res) return;
          await res.text();
          answered.push({ id: res.headers.get('cf-aig-log-id')!, at: Date.now() });
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.exited;

      const second = spawnCli(['start'], env);
      const url2 = (await second.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      try {
        const stored = new Set<string>();
        for (let page = 1; ; page++) {
          const res = await fetch(
            `${url2}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=1000&page=${page}`,
            { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
          );
          const rows = ((await res.json()) as { result: Array<{ id: string }> }).result;
          for (const l of rows) stored.add(l.id);
          if (rows.length < 1000) break;
        }
        // The bound: one flush interval, plus a margin for the timer and the write itself.
        const settled = answered.filter((a) => a.at < killedAt - 200 - 300);
        expect(settled.length).toBeGreaterThan(20);
        const missing = settled.filter((a) => !stored.has(a.id));
        expect(missing).toEqual([]);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await mock.close();
    }
  });
});
