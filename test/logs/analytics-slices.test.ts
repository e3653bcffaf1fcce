import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Kysely, KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import type { Database } from '../../src/db/tables.ts';
import { type AnalyticsQuery, analytics } from '../../src/logs/analytics.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { countEventLoopTurns } from '../helpers/event-loop-turns.ts';
import { row } from './log-row.ts';

/**
 * The database answers one row per bucket, group and latency step; a week by the minute of a
 * million logs was ~1 million rows in one answer, which killed the SQLite writer thread that runs
 * the query (its heap is 256 MB). The range is now summed a slice of 60 buckets at a time.
 */
/** A fresh SQLite log database for `use`, removed after. */
async function withLogDatabase(use: (db: Kysely<Database>, raw: DatabaseSync) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-analytics-'));
  const { db, raw } = openSqlite(join(dir, 'g.db'));
  try {
    await migrate(db);
    await use(db, raw);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The default gateway's analytics by the minute, ungrouped, from `start` for `minutes`. */
const byMinute = (start: number, minutes: number): AnalyticsQuery => ({
  accountId: 'local',
  gateways: ['default'],
  start,
  end: start + minutes * 60_000,
  bucket: 'minute',
  groupBy: undefined,
  filters: [],
});

describe('analytics over many buckets', () => {
  it('asks the database a slice of at most 60 buckets at a time, and sums the slices exactly', async () => {
    await withLogDatabase(async (db, raw) => {
      const start = Date.parse('2026-11-30T00:00:00Z');
      const minutes = 1000;
      const rows = Array.from({ length: minutes }, (_, i) => ({
        ...row(i),
        created_at: start + i * 60_000 + 1,
        duration: 10 + (i % 80),
        success: i % 7 === 0 ? 0 : 1,
      }));
      await sqliteLogSink(raw).insert(rows);
      const answers: number[] = [];
      const counting: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          answers.push(args.result.rows.length);
          return args.result;
        },
      };
      const [series] = await analytics(db.withPlugin(counting), byMinute(start, minutes));
      expect(answers).toHaveLength(Math.ceil(minutes / 60));
      expect(Math.max(...answers)).toBeLessThanOrEqual(60);
      expect(series!.points).toHaveLength(minutes);
      expect(series!.totals.requests).toBe(minutes);
      expect(series!.totals.errors).toBe(rows.filter((r) => r.success === 0).length);
      // Each minute holds one log: its latency is every percentile of that point.
      for (const [i, p] of series!.points.entries()) {
        expect([p.requests, p.latency_p50, p.latency_p99], `minute ${i}`).toEqual([
          1,
          10 + (i % 80),
          10 + (i % 80),
        ]);
      }
    });
  });

  it('summarises a slice of points at a time, letting other work run, and keeps exact totals', async () => {
    await withLogDatabase(async (db, raw) => {
      const start = Date.parse('2026-11-30T00:00:00Z');
      const minutes = 5000;
      // Three logs a minute, their latencies repeating across minutes, so the range's totals
      // gather each latency step from many points.
      const rows = Array.from({ length: minutes * 3 }, (_, i) => ({
        ...row(i),
        created_at: start + Math.floor(i / 3) * 60_000 + (i % 3),
        duration: [5, 250, 4321][i % 3]! + (Math.floor(i / 3) % 40),
      }));
      await sqliteLogSink(raw).insert(rows);
      // This database answers on this thread without a turn of the event loop, so any turn
      // counted below came from the summary making room.
      const turns = countEventLoopTurns();
      const [series] = await analytics(db, byMinute(start, minutes));
      expect(turns.stop()).toBeGreaterThanOrEqual(4);
      // The totals' percentiles by nearest rank over every log's latency step.
      const step = (d: number) =>
        d < 100 ? d : d < 1000 ? Math.floor(d / 10) * 10 : Math.floor(d / 100) * 100;
      const steps = rows.map((r) => step(r.duration)).sort((a, b) => a - b);
      const rank = (p: number) => steps[Math.ceil(p * steps.length) - 1];
      expect(series!.totals).toMatchObject({
        requests: rows.length,
        latency_p50: rank(0.5),
        latency_p90: rank(0.9),
        latency_p99: rank(0.99),
      });
    });
  });
});
