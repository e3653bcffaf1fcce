import type { DatabaseSync } from 'node:sqlite';
import { atMostEvery } from '../util/at-most-every.ts';
import { decodeEntry, encodeEntry } from './codec.ts';
import type { CacheStore } from './types.ts';

const SWEEP_INTERVAL_MS = 60_000;
/** A full disk fails every write: reported this often, not once per request. */
const REPORT_EVERY_MS = 60_000;
/**
 * Past the bound, entries are evicted down to this share of it, so eviction runs once per tenth
 * of the bound written rather than on every write.
 */
const EVICT_DOWN_TO = 0.9;
/** Rows one eviction statement deletes at most; each takes about as many as the excess needs. */
const MAX_EVICT_BATCH = 500;

/**
 * Entries in the gateway's own SQLite database (`cache_entries`, migration 2), so they survive
 * restarts. Prepared statements on the hot path; a timer sweeps expired rows every minute. A read
 * or write that fails (a full disk, an I/O error) is a miss or an entry not stored, never a failed
 * request.
 *
 * The entries' bytes are bounded by `maxBytes` (`cache.max_bytes`), as in the memory store: with
 * TTLs of up to a month the table would otherwise grow with every distinct request until the
 * disk, which the logs share, is full. Past the bound the entries that expire soonest go first:
 * true LRU would turn every hit into a write.
 */
export function sqliteStore(
  db: DatabaseSync,
  opts: { log?: (level: 'warn', message: string) => void; maxBytes?: number } = {},
): CacheStore {
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  const log = opts.log ?? ((_l, m) => console.warn(m));
  const failed = atMostEvery(REPORT_EVERY_MS, (message, times) =>
    log(
      'warn',
      `cache (sqlite): ${message}; serving without those entries${times > 1 ? ` (${times} failures since the last report)` : ''}`,
    ),
  );
  const select = db.prepare(
    'SELECT value FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND key = ? AND expires_at > ?',
  );
  const upsert = db.prepare(
    `INSERT INTO cache_entries (account_id, gateway_id, key, provider, model, expires_at, size, value)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id, gateway_id, key) DO UPDATE SET
       provider = excluded.provider, model = excluded.model, expires_at = excluded.expires_at,
       size = excluded.size, value = excluded.value`,
  );
  const purgeAll = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? RETURNING expires_at',
  );
  const purgeProvider = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND provider = ? RETURNING expires_at',
  );
  const purgeModel = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND model = ? RETURNING expires_at',
  );
  const purgeBoth = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND provider = ? AND model = ? RETURNING expires_at',
  );
  const sweep = db.prepare('DELETE FROM cache_entries WHERE expires_at <= ?');
  const sizeOfAll = db.prepare('SELECT coalesce(sum(size), 0) AS n, count(*) AS rows FROM cache_entries');
  const evictSoonest = db.prepare(
    `DELETE FROM cache_entries WHERE rowid IN
       (SELECT rowid FROM cache_entries ORDER BY expires_at LIMIT ?) RETURNING size`,
  );
  // What the table holds, kept up to date by each write and recounted after every delete that
  // is not an eviction (the minute's sweep, purges).
  let total = 0;
  let rows = 0;
  const recount = () => {
    try {
      const r = sizeOfAll.get();
      total = Number(r?.['n'] ?? 0);
      rows = Number(r?.['rows'] ?? 0);
    } catch {
      // Unreadable for now: the next write past the bound recounts.
    }
  };
  recount();
  const evict = () => {
    recount();
    const target = maxBytes * EVICT_DOWN_TO;
    while (total > target && rows > 0) {
      // As many rows as the excess takes at the average entry size: one statement, usually.
      const n = Math.min(MAX_EVICT_BATCH, Math.max(1, Math.ceil((total - target) / (total / rows))));
      const gone = evictSoonest.all(n);
      if (gone.length === 0) break;
      for (const row of gone) total -= Number(row['size']);
      rows -= gone.length;
    }
  };
  const timer = setInterval(() => {
    try {
      sweep.run(Date.now());
      recount();
    } catch {
      // A busy database skips one sweep; the next one catches up, and reads ignore expired rows.
    }
  }, SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    name: 'sqlite',
    async get(scope, key) {
      let row: { value: Uint8Array } | undefined;
      try {
        row = select.get(scope.accountId, scope.gatewayId, key, Date.now()) as typeof row;
      } catch (err) {
        failed(`reading an entry failed (${(err as Error).message})`);
        return undefined;
      }
      return row
        ? decodeEntry(Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength))
        : undefined;
    },
    async set(scope, key, entry, ttlSeconds) {
      const value = encodeEntry(entry);
      // An entry bigger than the whole bound is refused rather than evicting everything.
      if (value.length > maxBytes) return;
      try {
        upsert.run(
          scope.accountId,
          scope.gatewayId,
          key,
          scope.provider,
          scope.model,
          Date.now() + ttlSeconds * 1000,
          value.length,
          value,
        );
        // An entry replaced under the same key is counted twice until the next recount: the
        // bound errs toward evicting early, never late.
        total += value.length;
        rows++;
        if (total > maxBytes) evict();
      } catch (err) {
        failed(`storing an entry failed (${(err as Error).message})`);
      }
    },
    async purge(f) {
      const rows =
        f.provider !== undefined && f.model !== undefined
          ? purgeBoth.all(f.accountId, f.gatewayId, f.provider, f.model)
          : f.provider !== undefined
            ? purgeProvider.all(f.accountId, f.gatewayId, f.provider)
            : f.model !== undefined
              ? purgeModel.all(f.accountId, f.gatewayId, f.model)
              : purgeAll.all(f.accountId, f.gatewayId);
      // Expired rows the sweep has not reached yet go too, but only live entries count, as in
      // the memory and Redis stores.
      const now = Date.now();
      let n = 0;
      for (const row of rows) if (Number(row['expires_at']) > now) n++;
      recount();
      return n;
    },
    async close() {
      // The database belongs to the gateway, which closes it; only the sweep stops here.
      clearInterval(timer);
    },
  };
}
