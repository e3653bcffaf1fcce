import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { LogJournal } from '../../src/logs/journal.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { type LogSink, LogWriter } from '../../src/logs/writer.ts';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { SHARED_SECRET_KEY } from '../helpers/databases.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { POSTGRES_AVAILABLE, startPostgres } from '../helpers/postgres-server.ts';
import { chatLogId, spawnCli } from '../helpers/spawn.ts';
import { startStallingProxy } from '../helpers/stalling-proxy.ts';
import { row } from './log-row.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-hung-db-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('stopping while the database does not answer', () => {
  it('stop() gives up after spillAfterMs: the batch in flight and the queue go to the journal, stored once later', async () => {
    const dir = tmp();
    const { db, raw } = openSqlite(join(dir, 'g.db'));
    await migrate(db);
    const real = sqliteLogSink(raw);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    // Takes the first batch and answers only when released: a database that hangs mid-commit.
    const hanging: LogSink = {
      async insert(rows) {
        await held;
        await real.insert(rows);
      },
    };
    const errors: string[] = [];
    const journalPath = join(dir, 'log-journal.ndjson');
    const writer = new LogWriter(hanging, {
      flushIntervalMs: 60_000,
      batchSize: 10,
      onError: (e) => errors.push((e as Error).message),
      journal: new LogJournal(journalPath),
    });
    for (let i = 0; i < 15; i++) writer.enqueue(row(i)); // 10 go out at once and hang; 5 wait
    await writer.stop({ spillAfterMs: 100 });
    expect(writer.spilled).toBe(15);
    expect(writer.pending).toBe(0);
    expect(errors.join()).toMatch(/after 100 ms; 15 rows went to the journal/);

    // The hung commit goes through after all; the next start replays all 15, and none twice.
    release();
    await new Promise((r) => setTimeout(r, 50));
    const count = () => (raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c;
    expect(count()).toBe(10);
    const next = new LogWriter(real, {
      flushIntervalMs: 60_000,
      batchSize: 10,
      onError: () => undefined,
      journal: new LogJournal(journalPath),
    });
    expect(await next.replayJournal()).toBe(15);
    expect(count()).toBe(15);
    await db.destroy();
  });

  it('stop() with a database that refuses the rows (down) puts them in the journal too', async () => {
    const dir = tmp();
    const journalPath = join(dir, 'log-journal.ndjson');
    const errors: string[] = [];
    const writer = new LogWriter(
      { insert: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
      {
        flushIntervalMs: 60_000,
        batchSize: 10,
        onError: (e) => errors.push((e as Error).message),
        journal: new LogJournal(journalPath),
      },
    );
    for (let i = 0; i < 15; i++) writer.enqueue(row(i));
    await writer.stop({ spillAfterMs: 5_000 });
    expect(writer.pending).toBe(0);
    expect(writer.spilled).toBe(15);
    expect(errors.at(-1)).toBe(
      'the database refused the last log rows; 15 rows went to the journal, for the next start',
    );
    const stored: string[] = [];
    const next = new LogWriter(
      { insert: async (rows) => void stored.push(...rows.map((r) => r.id)) },
      {
        flushIntervalMs: 60_000,
        batchSize: 10,
        onError: () => undefined,
        journal: new LogJournal(journalPath),
      },
    );
    expect(await next.replayJournal()).toBe(15);
    expect(stored).toEqual(Array.from({ length: 15 }, (_, i) => row(i).id));
  });

  it.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])(
    'SIGTERM with Postgres hung: the gateway exits, and the next start stores every row',
    async () => {
      const pg = (await startPostgres())!;
      const mock = await startMockUpstream();
      const url = new URL(await pg.createDatabase());
      const proxy = await startStallingProxy(Number(url.port));
      const proxied = new URL(url);
      proxied.port = String(proxy.port);
      const dataDir = tmp();
      const env = {
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_SECRET_KEY: SHARED_SECRET_KEY,
        GATEHOUSE_LOG_FLUSH_MS: '100',
        GATEHOUSE_SHUTDOWN_GRACE_MS: '500',
        GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
      };
      try {
        const first = spawnCli(['start'], { ...env, GATEHOUSE_DATABASE_URL: proxied.toString() });
        const base = (await first.waitFor(/listening on (http:\/\/\S+)/))[1]!;
        const chat = () => chatLogId(base);
        const ids = [await chat(), await chat()];
        await new Promise((r) => setTimeout(r, 300)); // stored before the database hangs
        proxy.stall();
        // The data plane never waits on the database: these are answered, their rows queue up.
        for (let i = 0; i < 12; i++) ids.push(await chat());
        await new Promise((r) => setTimeout(r, 300)); // a flush has begun, and hangs
        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        expect(first.output()).toMatch(/rows went to the journal, for the next start/);

        // Postgres answers again; the hung commit may or may not have gone through.
        proxy.flow();
        const second = spawnCli(['start'], { ...env, GATEHOUSE_DATABASE_URL: url.toString() });
        const base2 = (await second.waitFor(/listening on (http:\/\/\S+)/))[1]!;
        try {
          // The start does not wait for the journal: it is stored behind the first flush.
          await second.waitFor(/log writer: stored \d+ log rows from the journal/);
          expect(second.output().indexOf('listening on')).toBeLessThan(
            second.output().indexOf('from the journal'),
          );
          const res = await fetch(
            `${base2}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=100`,
            { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
          );
          const stored = ((await res.json()) as { result: Array<{ id: string }> }).result.map((l) => l.id);
          expect(stored.sort()).toEqual([...ids].sort());
        } finally {
          second.child.kill('SIGTERM');
          await second.exited;
        }
      } finally {
        await proxy.close();
        await mock.close();
        await pg.stop();
      }
    },
  );
});
