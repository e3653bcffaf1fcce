import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import type { LogRow } from '../../src/logs/writer.ts';

const row = (i: number): LogRow => ({
  id: `log-${String(i).padStart(4, '0')}`,
  account_id: 'local',
  gateway_id: 'default',
  created_at: 1_700_000_000_000 + i,
  provider: 'openai',
  model: i % 2 ? 'gpt-4o-mini' : null,
  path: 'chat/completions',
  method: 'POST',
  status_code: 200,
  success: 1,
  cached: 0,
  duration: i,
  upstream_duration: i % 4 === 0 ? null : Math.floor(i / 2),
  tokens_in: i,
  tokens_out: null,
  event_id: `evt-${i}`,
  request_id: `req-${i}`,
  metadata: i === 3 ? '{"user":"u1"}' : null,
  step: i % 3 === 0 ? null : i % 3,
  attempt: 1 + (i % 2),
  cost: i === 2 ? 0.001_5 : null,
  custom_cost: i === 7 ? 1 : 0,
  saved_cost: i === 4 ? 0.000_25 : null,
  feedback: null,
  score: null,
  request_content_type: 'application/json',
  response_content_type: i % 2 ? 'text/event-stream' : 'application/json',
  request_size: 100 + i,
  response_size: 200 + i,
  user_agent: 'test/1.0',
  authentication: i % 2,
  model_type: 'chat',
  compat: 0,
  request_head: '{"content-type":"application/json"}',
  response_head: null,
  request_type: 'provider',
  error: i === 5 ? 'openai answered 503' : null,
});

describe('SQLite log sink', () => {
  it.each([1, 31, 32, 33, 70])('stores a batch of %i rows exactly, every column', async (n) => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sink-'));
    const { db, raw } = openSqlite(join(dir, 'g.db'));
    try {
      await migrate(db);
      const rows = Array.from({ length: n }, (_, i) => row(i));
      await sqliteLogSink(raw).insert(rows);
      const stored = raw.prepare('SELECT * FROM logs ORDER BY id').all() as Array<Record<string, unknown>>;
      expect(stored).toHaveLength(n);
      for (const [i, s] of stored.entries()) {
        const { seq: _seq, ...rest } = s;
        expect(rest).toEqual(row(i));
      }
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing batch stores none of its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sink-'));
    const { db, raw } = openSqlite(join(dir, 'g.db'));
    try {
      await migrate(db);
      const rows = Array.from({ length: 40 }, (_, i) => row(i));
      rows[35] = row(0); // duplicate primary key in the single-row tail
      await expect(sqliteLogSink(raw).insert(rows)).rejects.toThrow();
      expect((raw.prepare('SELECT count(*) AS c FROM logs').get() as { c: number }).c).toBe(0);
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
