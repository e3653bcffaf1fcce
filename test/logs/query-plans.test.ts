import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { CompiledQuery, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import type { Database } from '../../src/db/tables.ts';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { LogFilter } from '../../src/logs/filters.ts';
import { LogQueries, type LogQuery } from '../../src/logs/queries.ts';
import { retainingSink } from '../../src/logs/retention.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { row } from './log-row.ts';

let dir: string;
let db: Kysely<Database>;
let raw: DatabaseSync;
let queries: LogQueries;
let watched: Kysely<Database>;
/** What the queries built, compiled, since the last `plans` call. */
const sent: CompiledQuery[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-plans-'));
  ({ db, raw } = openSqlite(join(dir, 'g.db')));
  await migrate(db);
  await sqliteLogSink(raw).insert(Array.from({ length: 200 }, (_, i) => row(i)));
  // The statements LogQueries runs, as it builds them, so the plans below are theirs.
  watched = db.withPlugin({
    transformQuery: ({ node, queryId }) => {
      sent.push(db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  });
  queries = new LogQueries(watched, { dialect: 'sqlite' });
});
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's plan for each statement `run` sent, one string each, a subquery's steps indented. */
async function plans(run: (q: LogQueries) => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await run(queries);
  // A subquery passes through the plugin too, before the statement it sits in: only the latter runs.
  const statements = sent.filter((c) => !sent.some((o) => o.sql.includes(`(${c.sql})`)));
  return statements.map((c) => {
    const steps = raw.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.parameters as string[])) as Array<{
      id: number;
      parent: number;
      detail: string;
    }>;
    const depth = new Map<number, number>([[0, -1]]);
    return steps
      .map((s) => {
        depth.set(s.id, (depth.get(s.parent) ?? 0) + 1);
        return `${'  '.repeat(depth.get(s.id)!)}${s.detail}`;
      })
      .join('\n');
  });
}

const query = (filters: LogFilter[], more: Partial<LogQuery> = {}): LogQuery => ({
  filters,
  orderBy: 'created_at',
  direction: 'desc',
  ...more,
});
/** A page after the first, of one row: full or empty, the list counts the total either way. */
const fullPage = (q: LogQuery) => (l: LogQueries) => l.list('local', 'default', q, 2, 1);

const provider: LogFilter = { key: 'provider', operator: 'eq', value: ['openai'] };
const errors: LogFilter = { key: 'success', operator: 'eq', value: [false] };

describe('the logs API reads through indexes', () => {
  it('counts "errors of one provider" from the index alone (the list total at a million rows)', async () => {
    const [, count] = await plans(fullPage(query([provider, errors])));
    expect(count).toMatch(/USING COVERING INDEX logs_gateway_provider/);
    expect((await plans(fullPage(query([errors]))))[1]).toMatch(/USING COVERING INDEX/);
    const model: LogFilter = { key: 'model', operator: 'eq', value: ['gpt-4o-mini'] };
    expect((await plans(fullPage(query([model, errors]))))[1]).toMatch(
      /USING COVERING INDEX logs_gateway_model/,
    );
  });

  it('pages newest first without sorting the matches, choosing the page from the index alone', async () => {
    for (const filters of [[], [provider], [provider, errors]]) {
      const [page] = await plans(fullPage(query(filters)));
      // The page's `seq` values come from the index in order; its rows are read by `seq` after.
      expect(page).toMatch(/^SEARCH logs USING INTEGER PRIMARY KEY/);
      expect(page).toMatch(
        /\nLIST SUBQUERY 1\n {2}SEARCH logs USING COVERING INDEX logs_gateway_(created|provider)/,
      );
      expect(page).not.toMatch(/\n {2}USE TEMP B-TREE/);
    }
  });

  it('reads in time order where no index covers a condition, not through another index', async () => {
    const uncovered: LogQuery[] = [
      query([{ key: 'duration', operator: 'gt', value: [10] }]),
      query([{ key: 'cached', operator: 'eq', value: [true] }]),
      query([{ key: 'metadata.value', operator: 'eq', value: ['alice'] }]),
      query([], { search: 'gpt' }),
      query([], { orderBy: 'cost' }),
    ];
    for (const q of uncovered) {
      const all = [...(await plans(fullPage(q))), ...(await plans((l) => l.ranges('local', 'default', q)))];
      for (const plan of all) {
        expect(plan, JSON.stringify(q)).toMatch(/INDEX logs_gateway_created/);
        expect(plan, JSON.stringify(q)).not.toMatch(/logs_gateway_(model|provider|event_id)/);
      }
    }
  });

  it('a DELETE walks its matches a chunk at a time, in time order, and deletes by seq', async () => {
    const many = Array.from({ length: 4500 }, (_, i) => ({
      ...row(5000 + i),
      id: `many-${i}`,
      gateway_id: 'many',
      payload: {
        request: Buffer.from('{}'),
        response: null,
        requestTruncated: false,
        responseTruncated: false,
      },
    }));
    await sqliteLogSink(raw).insert(many);
    sent.length = 0;
    const deleted = await queries.delete('local', 'many', query([]), undefined);
    expect(deleted).toBe(4500);
    expect(raw.prepare("SELECT count(*) AS n FROM logs WHERE gateway_id = 'many'").get()?.['n']).toBe(0);
    expect(
      raw.prepare("SELECT count(*) AS n FROM log_payloads WHERE log_id LIKE 'many-%'").get()?.['n'],
    ).toBe(0);
    // Three chunks and the read that finds none left; never more than a chunk's rows at once.
    const reads = sent.filter((c) => c.sql.startsWith('select "created_at", "seq"'));
    expect(reads).toHaveLength(4);
    for (const c of reads) expect(c.parameters.at(-1)).toBeLessThanOrEqual(2000);
    const all = await plans((l) =>
      l.delete('local', 'default', query([{ key: 'duration', operator: 'gt', value: [190] }]), undefined),
    );
    for (const plan of all) {
      expect(plan).not.toMatch(/TEMP B-TREE|logs_gateway_(model|provider|event_id)/);
      if (/^SEARCH logs USING INDEX logs_gateway_created/.test(plan)) continue;
      expect(plan).toMatch(/USING INTEGER PRIMARY KEY|sqlite_autoindex_log_payloads_1/);
    }
  });

  it('a DELETE_OLDEST trim reads its edge and its chunks in time order, sorting nothing', async () => {
    const capped = retainingSink(sqliteLogSink(raw), watched, () => ({
      ...DEFAULT_SETTINGS,
      log_management: 20,
      log_management_strategy: 'DELETE_OLDEST',
    }));
    const rows = Array.from({ length: 60 }, (_, i) => ({ ...row(1000 + i), gateway_id: 'capped' }));
    const trim = await plans(async () => {
      await capped.insert(rows.slice(0, 30));
      await capped.insert(rows.slice(30));
    });
    const stored = raw.prepare("SELECT id FROM logs WHERE gateway_id = 'capped' ORDER BY seq").all();
    expect(stored.map((r) => r['id'])).toEqual(rows.slice(40).map((r) => r.id));
    // The count (any index, read whole) aside: the edge and each chunk in time order.
    expect(trim.filter((p) => /logs_gateway_created/.test(p)).length).toBeGreaterThanOrEqual(6);
    for (const plan of trim) expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
