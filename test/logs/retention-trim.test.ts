import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../../src/gateways/schema.ts';
import { retainingSink, TRIM_CHUNK } from '../../src/logs/retention.ts';
import { sqliteLogSink } from '../../src/logs/sqlite-sink.ts';
import { row } from './log-row.ts';

/** A retaining sink over a fresh SQLite database, with the statements it runs counted. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-trim-'));
  const { db, raw } = openSqlite(join(dir, 'g.db'));
  await migrate(db);
  const seen = { trims: 0, deletes: [] as number[] };
  const counting: KyselyPlugin = {
    transformQuery: (args) => {
      const node = args.node as {
        kind: string;
        offset?: unknown;
        from?: { froms: Array<{ table: { identifier: { name: string } } }> };
      };
      if (node.kind === 'SelectQueryNode' && node.offset) seen.trims++;
      return args.node;
    },
    transformResult: async (args) => {
      if (args.result.numAffectedRows !== undefined && args.result.numAffectedRows > 0n)
        seen.deletes.push(Number(args.result.numAffectedRows));
      return args.result;
    },
  };
  let settings: GatewaySettings = { ...DEFAULT_SETTINGS };
  const sink = retainingSink(sqliteLogSink(raw), db.withPlugin(counting), () => settings);
  let next = 0;
  const body = { request: Buffer.from('{}'), response: Buffer.from('{"ok":1}') };
  const batch = (n: number) =>
    Array.from({ length: n }, () => ({
      ...row(next),
      id: `log-${next++}`,
      payload: { ...body, requestTruncated: false, responseTruncated: false },
    }));
  return {
    sink,
    seen,
    batch,
    set: (s: Partial<GatewaySettings>) => {
      settings = { ...DEFAULT_SETTINGS, ...s };
    },
    stored: () => Number(raw.prepare('SELECT count(*) AS n FROM logs').get()?.['n']),
    payloads: () => Number(raw.prepare('SELECT count(*) AS n FROM log_payloads').get()?.['n']),
    newest: () => String(raw.prepare('SELECT id FROM logs ORDER BY seq DESC LIMIT 1').get()?.['id']),
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('DELETE_OLDEST trims', () => {
  it('a cap lowered far below what is stored: deleted a chunk per transaction, bodies too', async () => {
    const t = await setup();
    try {
      for (let i = 0; i < 5; i++) await t.sink.insert(t.batch(2_500));
      expect(t.stored()).toBe(12_500);
      t.set({ log_management: 100, log_management_strategy: 'DELETE_OLDEST' });
      await t.sink.insert(t.batch(10));
      expect(t.stored()).toBe(100);
      expect(t.newest()).toBe(`log-${12_509}`);
      expect(t.payloads()).toBe(100);
      // Payload and row deletes alike: none more than a chunk, so other batches get their turn.
      expect(Math.max(...t.seen.deletes)).toBeLessThanOrEqual(TRIM_CHUNK);
      expect(t.seen.deletes.length).toBeGreaterThanOrEqual(2 * Math.ceil(12_410 / TRIM_CHUNK));
    } finally {
      await t.close();
    }
  });

  it('trims once a cap is over by 1%, not after every batch, and never keeps more than that', async () => {
    const t = await setup();
    try {
      t.set({ log_management: 1_000, log_management_strategy: 'DELETE_OLDEST' });
      for (let i = 0; i < 400; i++) {
        await t.sink.insert(t.batch(5));
        expect(t.stored()).toBeLessThanOrEqual(1_010);
      }
      expect(t.stored()).toBeGreaterThanOrEqual(1_000);
      // Each trim reads where the newest 1 000 end (1 000 index entries): after every batch past
      // the cap, that was 200 reads here.
      expect(t.seen.trims).toBeLessThanOrEqual(70);
    } finally {
      await t.close();
    }
  });
});
