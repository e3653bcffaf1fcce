import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../../src/config/schema.ts';
import { migrate } from '../../src/db/migrations.ts';
import { openDatabase } from '../../src/db/open.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import type { Database } from '../../src/db/tables.ts';
import { analytics } from '../../src/logs/analytics.ts';
import { postgresLogSink } from '../../src/logs/postgres-sink.ts';
import { LogQueries } from '../../src/logs/queries.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import type { LogRow, LogSink } from '../../src/logs/writer.ts';

export interface LogStoreMeasurements {
  rows: number;
  /** Writing them through the log sink, per row. */
  insertMicrosPerRow: number;
  /** `GET /logs` with two filters (provider and success), first page of 50, with the total count. */
  listTwoFiltersMs: number;
  /** The analytics query over the last 24 hours, hourly, grouped by model. */
  analytics24hMs: number;
  /** The same with `first_byte=true`: the provider's first-byte percentiles too, a second histogram. */
  analytics24hFirstByteMs: number;
  /** `GET /logs` with a filter no index covers (`cached`), first page with the total. */
  listUnindexedMs: number;
  /** `GET /logs` ordered by cost (no index), first page with the total. */
  sortedByCostMs: number;
}

const PROVIDERS = ['openai', 'anthropic', 'google-ai-studio', 'groq', 'mistral'];
const MODELS = [
  'gpt-4o-mini',
  'gpt-4o',
  'claude-sonnet-4-5',
  'gemini-2.5-flash',
  'llama-3.3-70b-versatile',
  'mistral-small-latest',
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Store {
  db: Kysely<Database>;
  sink: LogSink;
  dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

/** The embedded SQLite file, as `npm start` opens it, in a temp dir. */
async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-logs-'));
  const { db, raw } = openSqlite(join(dir, 'gatehouse.db'));
  await migrate(db);
  return {
    db,
    sink: sqliteLogSink(raw),
    dialect: 'sqlite',
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A database on a Postgres server, opened as the gateway opens one (its pool, its query bound). */
export async function postgresStore(databaseUrl: string): Promise<Store> {
  const opened = await openDatabase(
    { databaseUrl, databaseQueryTimeoutMs: 600_000 } as Config,
    (_level, message) => console.error(message),
  );
  return { db: opened.db, sink: postgresLogSink(opened.db), dialect: 'postgres', close: opened.close };
}

/**
 * The log store at size: `rows` rows spread over 7 days, written through the real sink, then the
 * two queries the dashboard runs most, timed (median of 5) through the same code the API uses. In
 * the embedded SQLite (the default store) unless given another store.
 */
export async function measureLogStore(
  rows: number,
  open: () => Promise<Store> = sqliteStore,
): Promise<LogStoreMeasurements> {
  const store = await open();
  const { db, sink } = store;
  try {
    const now = Date.now();
    const span = 7 * 86_400_000;
    const started = performance.now();
    for (let i = 0; i < rows; i += 5000) {
      const batch: LogRow[] = [];
      for (let j = i; j < Math.min(rows, i + 5000); j++) {
        const provider = PROVIDERS[j % PROVIDERS.length]!;
        batch.push({
          id: `01BENCH${String(j).padStart(19, '0')}`,
          account_id: 'local',
          gateway_id: 'default',
          created_at: now - span + Math.floor((j / rows) * span),
          provider,
          model: MODELS[(j * 7) % MODELS.length]!,
          path: 'chat/completions',
          method: 'POST',
          status_code: j % 50 === 0 ? 500 : 200,
          success: j % 50 === 0 ? 0 : 1,
          cached: j % 10 === 0 ? 1 : 0,
          duration: 200 + (j % 900),
          // A hit makes no provider call.
          upstream_first_byte: j % 10 === 0 ? null : 30 + (j % 170),
          tokens_in: 20 + (j % 400),
          tokens_out: 50 + (j % 700),
          event_id: `e${j}`,
          request_id: `r${j}`,
          metadata: j % 3 === 0 ? `{"user":"u${j % 100}"}` : null,
          step: null,
          attempt: 1,
          cost: 0.0001 * (j % 30),
          custom_cost: 0,
          request_type: 'provider',
          error: null,
          authentication: 0,
          compat: 0,
          model_type: 'chat',
        } as LogRow);
      }
      await sink.insert(batch);
    }
    const insertMicrosPerRow = ((performance.now() - started) * 1000) / rows;
    const queries = new LogQueries(db, { dialect: store.dialect });
    const time = async (fn: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
      return median(samples);
    };
    const listTwoFiltersMs = await time(() =>
      queries.list(
        'local',
        'default',
        {
          filters: [
            { key: 'provider', operator: 'eq', value: ['anthropic'] },
            { key: 'success', operator: 'eq', value: [true] },
          ],
          orderBy: 'created_at',
          direction: 'desc',
        },
        1,
        50,
      ),
    );
    const lastDay = (firstByte: boolean) =>
      analytics(
        db,
        {
          accountId: 'local',
          gateways: ['default'],
          start: now - 86_400_000,
          end: now,
          bucket: 'hour',
          groupBy: 'model',
          filters: [],
          firstByte,
        },
        { dialect: store.dialect },
      );
    const analytics24hMs = await time(() => lastDay(false));
    const analytics24hFirstByteMs = await time(() => lastDay(true));
    const listUnindexedMs = await time(() =>
      queries.list(
        'local',
        'default',
        {
          filters: [{ key: 'cached', operator: 'eq', value: [true] }],
          orderBy: 'created_at',
          direction: 'desc',
        },
        1,
        50,
      ),
    );
    const sortedByCostMs = await time(() =>
      queries.list('local', 'default', { filters: [], orderBy: 'cost', direction: 'desc' }, 1, 50),
    );
    return {
      rows,
      insertMicrosPerRow,
      listTwoFiltersMs,
      analytics24hMs,
      analytics24hFirstByteMs,
      listUnindexedMs,
      sortedByCostMs,
    };
  } finally {
    await store.close();
  }
}
