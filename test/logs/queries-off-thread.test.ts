import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import type { MockUpstream } from '../helpers/setup.ts';

/**
 * On SQLite the logs API's queries, and `log_management`'s counts and deletes, run on the writer
 * thread: a search scans every row (a second or two at a million), a trim deletes as many rows as
 * are over the cap, and node:sqlite is synchronous, so on the request thread each stopped every
 * proxied request for that long.
 */
describe('logs queries on SQLite run beside the requests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-offthread-'));
  let gw: TestGateway;
  let mock: MockUpstream;
  beforeAll(async () => {
    const { db, raw } = openSqlite(join(dir, 'gatehouse.db'));
    await migrate(db);
    /** `n` stored logs of `gateway`, written in one statement. */
    const fill = (gateway: string, n: number) =>
      raw.exec(`
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
        INSERT INTO logs (id, account_id, gateway_id, created_at, provider, model, path, method,
          status_code, success, cached, duration, event_id, request_id, request_type)
        SELECT printf('01${gateway.toUpperCase()}%015d', i), 'local', '${gateway}', 1764547200000 + i,
          'openai', 'gpt-4o-mini', 'chat/completions', 'POST', 200, 1, 0, 100, 'event-' || i,
          'request-' || i, 'provider'
        FROM n`);
    // Enough rows that a search for a term none has takes a few hundred ms.
    fill('default', 400_000);
    fill('trimmed', 200_000);
    await db.destroy();
    mock = await startMockUpstream();
    // Rows are written when a test flushes them, not on a timer.
    gw = await startGatehouse(
      { GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`, GATEHOUSE_LOG_FLUSH_MS: '600000' },
      { dataDir: dir },
    );
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a health check sent while a search scans the logs is answered before the search', async () => {
    const order: string[] = [];
    const search = gw.api('GET', '/gateways/default/logs?search=no-such-term').then((r) => {
      order.push('search');
      return r;
    });
    await new Promise((r) => setTimeout(r, 30));
    const health = fetch(`${gw.url}/healthz`).then(async (r) => {
      await r.text();
      order.push('healthz');
      return r.status;
    });
    expect(await health).toBe(200);
    const found = await search;
    expect(found.status).toBe(200);
    expect(found.json.result_info.total_count).toBe(0);
    expect(order).toEqual(['healthz', 'search']);
  });

  it('a health check sent while log_management trims 200 000 rows is answered before the trim ends', async () => {
    await gw.gatehouse.app.gateways.create('local', 'trimmed', {
      ...DEFAULT_SETTINGS,
      log_management: 10,
      log_management_strategy: 'DELETE_OLDEST',
    });
    const res = await fetch(`${gw.gatewayUrl('trimmed')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    const order: string[] = [];
    // Storing the row finds the gateway 199 991 rows over its cap and deletes them.
    const flushed = gw.flushLogs().then(() => order.push('trimmed'));
    await new Promise((r) => setTimeout(r, 30));
    const health = await fetch(`${gw.url}/healthz`);
    await health.text();
    order.push('healthz');
    await flushed;
    expect(order).toEqual(['healthz', 'trimmed']);
    const left = await gw.api('GET', '/gateways/trimmed/logs?per_page=1');
    expect(left.json.result_info.total_count).toBe(10);
  });
});
