import type { DatabaseSync } from 'node:sqlite';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { yieldToRequests } from '../util/yield-to-requests.ts';
import { decodeCompressedEntry, encodeCompressedEntryParts } from './codec.ts';
import { EntryFiles } from './entry-files.ts';
import { type CachedResponse, type CacheStore, type EntryScope, entryId, purgeTakes } from './types.ts';

/** An entry being compressed or written to its file; `purged` once a purge has taken it. */
interface Writing {
  scope: EntryScope;
  key: string;
  entry: CachedResponse;
  expiresAt: number;
  purged?: boolean;
}

const SWEEP_INTERVAL_MS = 60_000;
/** A full disk fails every write: reported this often, not once per request. */
const REPORT_EVERY_MS = 60_000;
/**
 * Past the bound, entries are evicted down to this share of it, so eviction runs once per tenth
 * of the bound written rather than on every write.
 */
const EVICT_DOWN_TO = 0.9;
/**
 * Rows one sweep, purge or eviction statement deletes. Deleting an entry costs ~0.1 ms (its
 * blob's pages go back to the free list), and node:sqlite is synchronous: 100 000 entries swept in
 * one statement held every request for 9.6 s. Between statements the requests go on.
 */
const DELETE_BATCH = 100;
/**
 * Entries this size or larger are written to a file of their own (the row names it), from
 * libuv's thread pool. In the database, node:sqlite writes on the request thread, and SQLite
 * writes a page a system call: a 25 MB answer (a batch of embeddings) held every request for
 * ~100 ms to store and ~35 ms for each hit to read; from a file, 1–5 ms.
 */
export const FILE_FROM_BYTES = 64 * 1024;
const NO_BYTES = new Uint8Array(0);
const NO_ENTRY = Buffer.alloc(0);

/**
 * Entries in the gateway's own SQLite database (`cache_entries`, migration 2), so they survive
 * restarts. Prepared statements on the hot path; a timer sweeps expired rows every minute, a
 * hundred at a time, letting requests through in between. A read or write that fails (a full
 * disk, an I/O error) is a miss or an entry not stored, never a failed request.
 *
 * The entries' bytes are bounded by `maxBytes` (`cache.max_bytes`), as in the memory store: with
 * TTLs of up to a month the table would otherwise grow with every distinct request until the
 * disk, which the logs share, is full. Past the bound the entries that expire soonest go first:
 * true LRU would turn every hit into a write.
 *
 * With `fileDir`, entries of FILE_FROM_BYTES or more live in files there, written and read off the
 * request thread; the row keeps their size and expiry, and deleting the row deletes the file.
 */
export function sqliteStore(
  db: DatabaseSync,
  opts: {
    log?: (level: 'warn', message: string) => void;
    maxBytes?: number;
    fileDir?: string;
    /** The size from which entries go to files (FILE_FROM_BYTES). */
    fileFromBytes?: number;
  } = {},
): CacheStore {
  const files = opts.fileDir ? new EntryFiles(opts.fileDir) : undefined;
  const fileFrom = opts.fileFromBytes ?? FILE_FROM_BYTES;
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  const log = opts.log ?? ((_l, m) => console.warn(m));
  const failed = atMostEvery(REPORT_EVERY_MS, (message, times) =>
    log(
      'warn',
      `cache (sqlite): ${message}; serving without those entries${sinceLastReport(times, 'failures')}`,
    ),
  );
  const select = db.prepare(
    'SELECT value, file FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND key = ? AND expires_at > ?',
  );
  const upsert = db.prepare(
    `INSERT INTO cache_entries (account_id, gateway_id, key, provider, model, expires_at, size, value, file)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id, gateway_id, key) DO UPDATE SET
       provider = excluded.provider, model = excluded.model, expires_at = excluded.expires_at,
       size = excluded.size, value = excluded.value, file = excluded.file`,
  );
  // Each deletes at most DELETE_BATCH rows of what it names; run until it deletes fewer.
  const batchOf = (where: string) =>
    db.prepare(
      `DELETE FROM cache_entries WHERE rowid IN
         (SELECT rowid FROM cache_entries WHERE ${where} LIMIT ${DELETE_BATCH}) RETURNING size, expires_at, file`,
    );
  const purgeAll = batchOf('account_id = ? AND gateway_id = ?');
  const purgeProvider = batchOf('account_id = ? AND gateway_id = ? AND provider = ?');
  const purgeModel = batchOf('account_id = ? AND gateway_id = ? AND model = ?');
  const purgeBoth = batchOf('account_id = ? AND gateway_id = ? AND provider = ? AND model = ?');
  const purgeKey = batchOf('account_id = ? AND gateway_id = ? AND key = ?');
  const sweep = batchOf('expires_at <= ?');
  const expiryOf = db.prepare(
    'SELECT expires_at FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND key = ? AND expires_at > ?',
  );
  const sizeOfOne = db.prepare(
    'SELECT size, file FROM cache_entries WHERE account_id = ? AND gateway_id = ? AND key = ?',
  );
  const sizeOfAll = db.prepare('SELECT coalesce(sum(size), 0) AS n, count(*) AS rows FROM cache_entries');
  const evictSoonest = db.prepare(
    `DELETE FROM cache_entries WHERE rowid IN
       (SELECT rowid FROM cache_entries ORDER BY expires_at LIMIT ?) RETURNING size, file`,
  );
  /** Removes the files of deleted rows. */
  const dropFiles = (deleted: ReadonlyArray<Record<string, unknown>>) => {
    for (const row of deleted) files?.drop(row['file']);
  };
  // What the table holds: read once, then kept exact by every write and delete (a full count reads
  // every row, ~0.5 s at 300 000 entries).
  let total = 0;
  let rows = 0;
  let counted = false;
  const recount = () => {
    try {
      const r = sizeOfAll.get();
      total = Number(r?.['n'] ?? 0);
      rows = Number(r?.['rows'] ?? 0);
      counted = true;
    } catch {
      // Unreadable for now: the next write tries again.
    }
  };
  recount();
  const evict = async () => {
    const target = maxBytes * EVICT_DOWN_TO;
    while (total > target && rows > 0) {
      // As many rows as the excess takes at the average entry size, a batch at most.
      const n = Math.min(DELETE_BATCH, Math.max(1, Math.ceil((total - target) / (total / rows))));
      const gone = evictSoonest.all(n);
      if (gone.length === 0) break;
      dropFiles(gone);
      for (const row of gone) total -= Number(row['size']);
      rows -= gone.length;
      if (total > target) await yieldToRequests();
    }
  };
  // One eviction at a time; a write that finds one running waits for it.
  let evicting: Promise<void> | undefined;
  let closed = false;
  /** Runs a batch statement until it deletes less than a batch; the rows it deleted. */
  const deleteInBatches = async (
    stmt: ReturnType<typeof batchOf>,
    params: Array<string | number>,
  ): Promise<Array<Record<string, unknown>>> => {
    const deleted: Array<Record<string, unknown>> = [];
    for (;;) {
      const gone = stmt.all(...params);
      dropFiles(gone);
      for (const row of gone) {
        total -= Number(row['size']);
        deleted.push(row);
      }
      rows -= gone.length;
      if (gone.length < DELETE_BATCH || closed) return deleted;
      await yieldToRequests();
    }
  };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    deleteInBatches(sweep, [Date.now()])
      // A busy database skips one sweep; the next one catches up, and reads ignore expired rows.
      .catch(() => undefined)
      .finally(() => {
        sweeping = false;
      });
  }, SWEEP_INTERVAL_MS);
  timer.unref();

  /**
   * Entries whose file is being written, answered from memory until their row is in: the request
   * that stored one has its answer, and the next identical request must not miss.
   */
  const writing = new Map<string, Writing>();
  files
    ?.removeOrphans(
      () =>
        new Set(
          db
            .prepare('SELECT file FROM cache_entries WHERE file IS NOT NULL')
            .all()
            .map((r) => String(r['file'])),
        ),
    )
    .catch((err: unknown) => failed(`removing orphaned entry files failed (${(err as Error).message})`));

  /** Writes an entry `set` holds in `writing`, unless a purge takes it first. */
  const store = async (mine: Writing, ttlSeconds: number) => {
    const { scope, key } = mine;
    const [head, body] = await encodeCompressedEntryParts(mine.entry);
    const size = head.length + body.length;
    // An entry bigger than the whole bound is refused rather than evicting everything.
    if (size > maxBytes || mine.purged || closed) return;
    let file: string | null = null;
    if (files && size >= fileFrom) {
      file = files.name(key);
      try {
        await files.write(file, head, body);
      } catch (err) {
        failed(`storing an entry failed (${(err as Error).message})`);
        return;
      }
      // Purged while its file was written, or the store closed: it is not stored.
      if (mine.purged || closed) {
        files.drop(file);
        return;
      }
    }
    try {
      if (!counted) recount();
      const replaced = sizeOfOne.get(scope.accountId, scope.gatewayId, key);
      upsert.run(
        scope.accountId,
        scope.gatewayId,
        key,
        scope.provider,
        scope.model,
        Date.now() + ttlSeconds * 1000,
        size,
        file === null ? Buffer.concat([head, body], size) : NO_BYTES,
        file,
      );
      // Its row answers from here on (an eviction below may take it, like any other).
      const id = entryId(scope, key);
      if (writing.get(id) === mine) writing.delete(id);
      if (replaced) dropFiles([replaced]);
      total += size - Number(replaced?.['size'] ?? 0);
      if (!replaced) rows++;
      if (total > maxBytes) {
        evicting ??= evict().finally(() => {
          evicting = undefined;
        });
        await evicting;
      }
    } catch (err) {
      files?.drop(file);
      failed(`storing an entry failed (${(err as Error).message})`);
    }
  };

  return {
    name: 'sqlite',
    async get(scope, key) {
      let row: { value: Uint8Array; file: string | null } | undefined;
      try {
        row = select.get(scope.accountId, scope.gatewayId, key, Date.now()) as typeof row;
      } catch (err) {
        failed(`reading an entry failed (${(err as Error).message})`);
        return undefined;
      }
      if (!row) return writing.get(entryId(scope, key))?.entry;
      let bytes: Buffer;
      if (row.file === null) {
        const { value } = row;
        // Anything but a blob (a hand edit) is as unreadable as a damaged one.
        bytes =
          value instanceof Uint8Array
            ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
            : NO_ENTRY;
      } else {
        if (!files) return undefined;
        try {
          bytes = await files.read(row.file);
        } catch {
          // Deleted meanwhile (a purge, an eviction): a miss.
          return undefined;
        }
      }
      try {
        return await decodeCompressedEntry(bytes, true);
      } catch (err) {
        failed(`reading an entry failed (${(err as Error).message})`);
        return undefined;
      }
    },
    async set(scope, key, entry, ttlSeconds) {
      const id = entryId(scope, key);
      const mine: Writing = { scope, key, entry, expiresAt: Date.now() + ttlSeconds * 1000 };
      // Answered from memory until its row is in: compressing a large body and writing its file
      // take a while, and the next identical request must not miss meanwhile.
      writing.set(id, mine);
      try {
        await store(mine, ttlSeconds);
      } finally {
        if (writing.get(id) === mine) writing.delete(id);
      }
    },
    async expiresAt(scope, key) {
      const row = expiryOf.get(scope.accountId, scope.gatewayId, key, Date.now()) as
        | { expires_at: number | bigint }
        | undefined;
      return row ? Number(row.expires_at) : writing.get(entryId(scope, key))?.expiresAt;
    },
    async purge(f) {
      let inFlight = 0;
      for (const [id, w] of writing) {
        if (!purgeTakes(f, w.scope, w.key)) continue;
        w.purged = true;
        writing.delete(id);
        inFlight++;
      }
      const gone =
        f.key !== undefined
          ? await deleteInBatches(purgeKey, [f.accountId, f.gatewayId, f.key])
          : f.provider !== undefined && f.model !== undefined
            ? await deleteInBatches(purgeBoth, [f.accountId, f.gatewayId, f.provider, f.model])
            : f.provider !== undefined
              ? await deleteInBatches(purgeProvider, [f.accountId, f.gatewayId, f.provider])
              : f.model !== undefined
                ? await deleteInBatches(purgeModel, [f.accountId, f.gatewayId, f.model])
                : await deleteInBatches(purgeAll, [f.accountId, f.gatewayId]);
      // Expired rows the sweep has not reached yet go too, but only live entries count, as in
      // the memory and Redis stores.
      const now = Date.now();
      let n = inFlight;
      for (const row of gone) if (Number(row['expires_at']) > now) n++;
      return n;
    },
    held: () => ({ entries: rows, bytes: total }),
    async close() {
      // The database belongs to the gateway, which closes it; only the sweep stops here.
      closed = true;
      clearInterval(timer);
    },
  };
}
