import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';
import { row } from './log-row.ts';

/** A journal line as the writer spills it (a row without bodies), stored now. */
const line = (i: number, changes: Record<string, unknown> = {}, drop: string[] = []) => {
  const spilled: Record<string, unknown> = { ...row(i), created_at: Date.now(), ...changes };
  for (const name of drop) delete spilled[name];
  return JSON.stringify(spilled);
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
        `${[line(1), line(2, {}, older), line(3, { success: null }), line(4)].join('\n')}\n`,
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
          .toEqual(['log-0001', 'log-0002', 'log-0004']);
        const b = (await gw.api('GET', '/gateways/default/logs/log-0002')).json.result;
        expect(b).toMatchObject({ attempt: 1, custom_cost: false, authentication: false });
        expect(errors.join('\n')).toMatch(/the database refused 1 log row \(log-0003\), dropped/);
        expect(existsSync(join(dataDir, 'log-journal.ndjson.replaying'))).toBe(false);
      } finally {
        await gw.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
