import type { DatabaseSync } from 'node:sqlite';
import { decodeEntry, encodeEntry } from './codec.ts';
import type { CacheStore } from './types.ts';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Entries in the gateway's own SQLite database (`cache_entries`, migration 2), so they survive
 * restarts. Prepared statements on the hot path; a timer sweeps expired rows every minute.
 */
export function sqliteStore(db: DatabaseSync): CacheStore {
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
  const purgeAll = db.prepare('DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ?');
  const purgeProvider = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND provider = ?',
  );
  const purgeModel = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND model = ?',
  );
  const purgeBoth = db.prepare(
    'DELETE FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND provider = ? AND model = ?',
  );
  const sweep = db.prepare('DELETE FROM cache_entries WHERE expires_at <= ?');
  const timer = setInterval(() => {
    try {
      sweep.run(Date.now());
    } catch {
      // A busy database skips one sweep; the next one catches up, and reads ignore expired rows.
    }
  }, SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    name: 'sqlite',
    async get(scope, key) {
      const row = select.get(scope.accountId, scope.gatewayId, key, Date.now()) as
        | { value: Uint8Array }
        | undefined;
      return row
        ? decodeEntry(Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength))
        : undefined;
    },
    async set(scope, key, entry, ttlSeconds) {
      const value = encodeEntry(entry);
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
    },
    async purge(f) {
      const r =
        f.provider !== undefined && f.model !== undefined
          ? purgeBoth.run(f.accountId, f.gatewayId, f.provider, f.model)
          : f.provider !== undefined
            ? purgeProvider.run(f.accountId, f.gatewayId, f.provider)
            : f.model !== undefined
              ? purgeModel.run(f.accountId, f.gatewayId, f.model)
              : purgeAll.run(f.accountId, f.gatewayId);
      return Number(r.changes);
    },
    async close() {
      // The database belongs to the gateway, which closes it; only the sweep stops here.
      clearInterval(timer);
    },
  };
}
