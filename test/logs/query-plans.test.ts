import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import type { Database } from '../../src/db/tables.ts';
import { condition, type LogFilter } from '../../src/logs/filters.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { row } from './log-row.ts';

let dir: string;
let db: Kysely<Database>;
let raw: DatabaseSync;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-plans-'));
  ({ db, raw } = openSqlite(join(dir, 'g.db')));
  await migrate(db);
  await sqliteLogSink(raw).insert(Array.from({ length: 200 }, (_, i) => row(i)));
});
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's plan for the logs API's queries (the same shape LogQueries builds) with `filters`. */
function plan(filters: LogFilter[], shape: 'count' | 'page'): string {
  let q = db.selectFrom('logs').where('account_id', '=', 'local').where('gateway_id', '=', 'default');
  for (const f of filters) q = q.where((eb) => condition(eb, f));
  const compiled =
    shape === 'count'
      ? q.select((eb) => eb.fn.countAll<number>().as('n')).compile()
      : q.selectAll().orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(50).compile();
  const rows = raw.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...(compiled.parameters as string[]));
  return rows.map((r) => String((r as { detail: string }).detail)).join('\n');
}

const provider: LogFilter = { key: 'provider', operator: 'eq', value: ['openai'] };
const errors: LogFilter = { key: 'success', operator: 'eq', value: [false] };

describe('the logs API reads through indexes', () => {
  it('counts "errors of one provider" from the index alone (the list total at a million rows)', () => {
    expect(plan([provider, errors], 'count')).toMatch(/USING COVERING INDEX logs_gateway_provider/);
    expect(plan([errors], 'count')).toMatch(/USING COVERING INDEX/);
    expect(plan([{ key: 'model', operator: 'eq', value: ['gpt-4o-mini'] }, errors], 'count')).toMatch(
      /USING COVERING INDEX logs_gateway_model/,
    );
  });

  it('pages newest first without sorting the matches', () => {
    for (const filters of [[], [provider], [provider, errors]]) {
      const p = plan(filters, 'page');
      expect(p).toMatch(/USING INDEX logs_gateway_(created|provider)/);
      expect(p).not.toMatch(/TEMP B-TREE/);
    }
  });
});
