import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';

/** A journal line as the writer spills it (a row without bodies). */
const line = (id: string, changes: Record<string, unknown> = {}, drop: string[] = []) => {
  const row: Record<string, unknown> = {
    id,
    account_id: 'local',
    gateway_id: 'default',
    created_at: Date.now(),
    provider: 'openai',
    model: 'gpt-4o-mini',
    path: 'chat/completions',
    method: 'POST',
    status_code: 200,
    success: 1,
    cached: 0,
    duration: 3,
    event_id: `event-${id}`,
    request_id: `request-${id}`,
    request_type: 'provider',
    authentication: 0,
    compat: 0,
    custom_cost: 0,
    attempt: 1,
    ...changes,
  };
  for (const name of drop) delete row[name];
  return JSON.stringify(row);
};

/**
 * A journal replayed at start may hold rows the database cannot take as they are: ones an older
 * version spilled before the columns added since, or a damaged one. The database refused the
 * whole batch, the writer kept it and tried again, and no row of that journal was ever stored.
 */
for (const database of DATABASES) {
  describe.skipIf(database.skip)(`a journal replayed at start, on ${database.name}`, () => {
    it('fills the columns an older version did not write, drops and reports a row no version could store, and stores the rest', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-journal-replay-'));
      const errors: string[] = [];
      const older = ['attempt', 'custom_cost', 'authentication', 'compat'];
      writeFileSync(
        join(dataDir, 'log-journal.ndjson'),
        `${[line('log-a'), line('log-b', {}, older), line('log-c', { success: null }), line('log-d')].join(
          '\n',
        )}\n`,
      );
      const gw = await startGatehouse(await database.env(), {
        dataDir,
        log: (level, message) => {
          if (level === 'error') errors.push(message);
        },
      });
      try {
        await expect
          .poll(async () => {
            await gw.flushLogs();
            const r = await gw.api('GET', '/gateways/default/logs?per_page=10&order_by=created_at');
            return (r.json.result as Array<{ id: string }>).map((l) => l.id).sort();
          })
          .toEqual(['log-a', 'log-b', 'log-d']);
        const b = (await gw.api('GET', '/gateways/default/logs/log-b')).json.result;
        expect(b).toMatchObject({ attempt: 1, custom_cost: false, authentication: false });
        expect(errors.join('\n')).toMatch(/the database refused 1 log row \(log-c\), dropped/);
        expect(existsSync(join(dataDir, 'log-journal.ndjson.replaying'))).toBe(false);
      } finally {
        await gw.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
