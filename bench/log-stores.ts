/**
 * The log store at size on PostgreSQL, beside the embedded SQLite the main bench measures: the
 * same rows, written through each store's sink, and the same dashboard queries.
 *
 *   npm run bench:log-store -- [--rows 1000000]
 *
 * Postgres comes from the installed binaries, on a temp dir and a free port (fsync off: the data
 * is thrown away), as in the tests; without them only SQLite is measured.
 */
import { parseArgs } from 'node:util';
import { POSTGRES_AVAILABLE, startPostgres } from '../test/helpers/postgres-server.ts';
import { measureLogStore, postgresStore } from './lib/log-store.ts';
import { formatCount, formatMicros, formatMs, markdownTable, verdict } from './lib/table.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const rows = Number(values.rows);
if (!Number.isSafeInteger(rows) || rows < 1000) throw new Error('--rows: an integer of at least 1000');

const results: Array<[string, Awaited<ReturnType<typeof measureLogStore>>]> = [];
console.error(`log store, ${rows} rows: SQLite`);
results.push(['SQLite (embedded)', await measureLogStore(rows)]);
if (POSTGRES_AVAILABLE) {
  const server = (await startPostgres())!;
  try {
    console.error(`log store, ${rows} rows: PostgreSQL`);
    const url = await server.createDatabase();
    results.push(['PostgreSQL', await measureLogStore(rows, () => postgresStore(url))]);
  } finally {
    await server.stop();
  }
} else {
  console.error('PostgreSQL is not installed: only SQLite measured');
}

console.log(
  markdownTable(
    [
      'Store',
      'Rows',
      'Insert per row',
      'List, 2 filters (< 200 ms)',
      '',
      'Analytics 24 h (< 500 ms)',
      '',
      'The same, first byte too',
      'List, unindexed filter',
      'List by cost',
    ],
    results.map(([name, m]) => [
      name,
      formatCount(m.rows),
      formatMicros(m.insertMicrosPerRow),
      formatMs(m.listTwoFiltersMs),
      verdict(m.listTwoFiltersMs < 200),
      formatMs(m.analytics24hMs),
      verdict(m.analytics24hMs < 500),
      formatMs(m.analytics24hFirstByteMs),
      formatMs(m.listUnindexedMs),
      formatMs(m.sortedByCostMs),
    ]),
    ['left', 'right', 'right', 'right', 'left', 'right', 'left', 'right', 'right', 'right'],
  ),
);
