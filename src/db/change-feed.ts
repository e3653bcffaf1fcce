import type { PurgeFilter } from '../cache/types.ts';
import { atMostEvery, sinceLastReport } from '../util/at-most-every.ts';
import { CONNECT_TIMEOUT_MS } from './open.ts';
import { createPostgresPool, dropConnection } from './postgres-pool.ts';

/** Inclusive ranges of `logs.seq`, the rows of one stored batch. */
export type SeqRanges = Array<[number, number]>;

/**
 * Tells the other nodes what changed in the shared database: config (gateways, tokens, custom
 * providers, stored keys), so each reloads it at once; and each stored log batch, so a live tail
 * open on any node sees every node's entries. On one SQLite node there is no one to tell.
 */
export interface ChangeFeed {
  /** This node, as named in what it announces (a node ignores its own announcements). */
  readonly node: string;
  publish(): void;
  onChange(listener: () => void): void;
  /** Another node stored log rows: these `seq` ranges. */
  onLogBatch(listener: (ranges: SeqRanges) => void): void;
  /** Tells the other nodes to purge their own cache stores (memory, or a node-local SQLite file). */
  publishPurge(filter: PurgeFilter): void;
  onPurge(listener: (filter: PurgeFilter) => void): void;
  /** The listening connection was lost and is back: whatever was sent meanwhile never arrived. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

export const localFeed = (): ChangeFeed => ({
  node: 'local',
  publish() {},
  onChange() {},
  onLogBatch() {},
  publishPurge() {},
  onPurge() {},
  onReconnect() {},
  close: async () => {},
});

const CHANNEL = 'gatehouse_config';
export const LOG_BATCH_CHANNEL = 'gatehouse_log_batches';
const PURGE_CHANNEL = 'gatehouse_cache_purges';
/** Each node's heartbeat, which it LISTENs for itself: proof that notifications still arrive. */
const HEARTBEAT_CHANNEL = 'gatehouse_heartbeats';
/** Postgres refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD = 7_000;
/**
 * The listening connection only reads, and a connection that only reads never learns that the
 * database is gone when no error arrives (a host off the network, a partition after which the
 * server dropped its side): the node would go on with its config, a revoked token included, for
 * good. So every HEARTBEAT_MS it NOTIFYs itself on that connection. A heartbeat not answered
 * within HEARTBEAT_TIMEOUT_MS means the connection is dead; one answered but whose notification
 * has not come back by the next heartbeat means notifications are not delivered (a pooler in
 * transaction mode). Either way the connection is dropped and made again, with a reload.
 */
const HEARTBEAT_MS = 5_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
/** The listening connection's `application_name`. */
export const FEED_APPLICATION_NAME = 'gatehouse change feed';

/**
 * The announcements of one stored batch: its `seq` values as ranges (a multi-row insert takes
 * consecutive values unless another node's insert interleaves), split so none exceeds what NOTIFY
 * carries.
 */
export function logBatchPayloads(node: string, seqs: readonly number[]): string[] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const ranges: SeqRanges = [];
  for (const s of sorted) {
    const last = ranges.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else if (!last || s > last[1]) ranges.push([s, s]);
  }
  const payloads: string[] = [];
  let chunk: SeqRanges = [];
  const payload = (r: SeqRanges) => JSON.stringify({ n: node, r });
  for (const range of ranges) {
    if (chunk.length > 0 && payload([...chunk, range]).length > MAX_PAYLOAD) {
      payloads.push(payload(chunk));
      chunk = [];
    }
    chunk.push(range);
  }
  if (chunk.length > 0) payloads.push(payload(chunk));
  return payloads;
}

/**
 * A purge as the other nodes are told it. A filter NOTIFY cannot carry as it is (a model name of
 * kilobytes, past the payload's bound; a NUL, which Postgres text cannot hold) is widened, the
 * model and then the provider left out: a node that purges more than was asked only misses a
 * little more, where one that purged nothing served what was meant to be gone.
 */
export function purgePayload(self: string, filter: PurgeFilter): string {
  const fits = (f: PurgeFilter) => {
    const payload = JSON.stringify({ n: self, f });
    return !payload.includes('\\u0000') && Buffer.byteLength(payload) <= MAX_PAYLOAD ? payload : undefined;
  };
  const { model: _model, ...withoutModel } = filter;
  return (
    fits(filter) ??
    fits(withoutModel) ??
    JSON.stringify({ n: self, f: { accountId: filter.accountId, gatewayId: filter.gatewayId } })
  );
}

/** A purge another node asks for, or undefined for our own or one that is not well formed. */
export function readPurge(self: string, payload: string | undefined): PurgeFilter | undefined {
  try {
    const o = JSON.parse(payload ?? '') as { n?: unknown; f?: Record<string, unknown> };
    const f = o.f;
    if (o.n === self || !f || typeof f['accountId'] !== 'string' || typeof f['gatewayId'] !== 'string')
      return undefined;
    for (const k of ['provider', 'model', 'key'] as const)
      if (f[k] !== undefined && typeof f[k] !== 'string') return undefined;
    return {
      accountId: f['accountId'],
      gatewayId: f['gatewayId'],
      ...(f['provider'] === undefined ? {} : { provider: f['provider'] as string }),
      ...(f['model'] === undefined ? {} : { model: f['model'] as string }),
      ...(f['key'] === undefined ? {} : { key: f['key'] as string }),
    };
  } catch {
    return undefined;
  }
}

/** An announcement from another node, or undefined for our own or one that is not well formed. */
export function readLogBatch(self: string, payload: string | undefined): SeqRanges | undefined {
  try {
    const o = JSON.parse(payload ?? '') as { n?: unknown; r?: unknown };
    if (o.n === self || !Array.isArray(o.r)) return undefined;
    const ok = o.r.every(
      (x) => Array.isArray(x) && x.length === 2 && x.every(Number.isSafeInteger) && x[0] <= x[1],
    );
    return ok ? (o.r as SeqRanges) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Postgres LISTEN/NOTIFY on a dedicated connection. A node ignores its own notifications (its
 * registries already hold the change). A lost connection, or one that stops answering the
 * heartbeat, is made again, followed by one reload, since notifications sent meanwhile are gone.
 */
export async function postgresFeed(
  connectionString: string,
  log: (level: 'warn', message: string) => void,
  opts: { queryTimeoutMs: number },
): Promise<ChangeFeed> {
  const { default: pg } = await import('pg');
  const self = String(process.pid) + Math.random().toString(36).slice(2, 8);
  const listeners: Array<() => void> = [];
  const batchListeners: Array<(ranges: SeqRanges) => void> = [];
  const purgeListeners: Array<(filter: PurgeFilter) => void> = [];
  const reconnectListeners: Array<() => void> = [];
  const pool = createPostgresPool(pg, {
    connectionString,
    max: 1,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    queryTimeoutMs: opts.queryTimeoutMs,
    log: (level, message) => log(level, `config change feed: ${message}`),
  });
  // Behind a pooler in transaction mode a node reconnects every ~10 s for good: once a minute is
  // enough to say so.
  const lostFeed = atMostEvery(60_000, (message, times) =>
    log('warn', `config change feed: ${message}; reconnecting${sinceLastReport(times, 'times')}`),
  );
  let closed = false;
  let client: import('pg').Client | undefined;
  let beat: NodeJS.Timeout | undefined;
  const fire = () => {
    for (const l of listeners) l();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Named so that an operator (or a test) finds it in pg_stat_activity whatever it last ran.
      application_name: FEED_APPLICATION_NAME,
    });
    // Heartbeats this connection has had answered, and the last of them that came back.
    let acknowledged = 0;
    let echoed = 0;
    c.on('notification', (n) => {
      if (n.channel === HEARTBEAT_CHANNEL) {
        const [node, k] = (n.payload ?? '').split(' ');
        if (node === self) echoed = Math.max(echoed, Number(k));
      } else if (n.channel === LOG_BATCH_CHANNEL) {
        const ranges = readLogBatch(self, n.payload);
        if (ranges) for (const l of batchListeners) l(ranges);
      } else if (n.channel === PURGE_CHANNEL) {
        const filter = readPurge(self, n.payload);
        if (filter) for (const l of purgeListeners) l(filter);
      } else if (n.payload !== self) fire();
    });
    // One loss can emit several errors (the server's message, then the end of the socket): the
    // first one reconnects, the rest find it done.
    let lost = false;
    c.on('error', (err) => {
      if (lost) return;
      lost = true;
      clearInterval(beat);
      lostFeed(err.message);
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(() => void reconnect(), 500).unref();
    });
    try {
      await c.connect();
      await c.query(
        `LISTEN ${CHANNEL}; LISTEN ${LOG_BATCH_CHANNEL}; LISTEN ${PURGE_CHANNEL}; LISTEN ${HEARTBEAT_CHANNEL}`,
      );
    } catch (err) {
      lost = true; // a failed connect is retried by whoever called; the error handler must not too
      void c.end().catch(() => undefined);
      throw err;
    }
    let sent = 0;
    beat = setInterval(() => {
      if (acknowledged > echoed) {
        dropConnection(
          c,
          new Error(
            `its own notification did not come back within ${HEARTBEAT_MS / 1000} s, so other nodes' changes cannot reach it either (a pooler in transaction mode between Gatehouse and Postgres? use session mode)`,
          ),
        );
        return;
      }
      const k = ++sent;
      const silent = setTimeout(
        () =>
          dropConnection(c, new Error(`no answer to a heartbeat within ${HEARTBEAT_TIMEOUT_MS / 1000} s`)),
        HEARTBEAT_TIMEOUT_MS,
      );
      c.query('SELECT pg_notify($1, $2)', [HEARTBEAT_CHANNEL, `${self} ${k}`]).then(
        () => {
          clearTimeout(silent);
          acknowledged = k;
        },
        () => clearTimeout(silent),
      );
    }, HEARTBEAT_MS);
    beat.unref();
    client = c;
  };
  const reconnect = async () => {
    if (closed) return;
    try {
      await connect();
      fire();
      for (const l of reconnectListeners) l();
    } catch (err) {
      log('warn', `config change feed: ${(err as Error).message}; retrying`);
      if (!closed) setTimeout(() => void reconnect(), 1000).unref();
    }
  };
  await connect();

  return {
    node: self,
    publish() {
      pool.query('SELECT pg_notify($1, $2)', [CHANNEL, self]).catch((err: unknown) => {
        log('warn', `config change feed: could not notify other nodes: ${(err as Error).message}`);
      });
    },
    onChange(listener) {
      listeners.push(listener);
    },
    onLogBatch(listener) {
      batchListeners.push(listener);
    },
    publishPurge(filter) {
      const payload = purgePayload(self, filter);
      pool.query('SELECT pg_notify($1, $2)', [PURGE_CHANNEL, payload]).catch((err: unknown) => {
        log('warn', `cache purge: could not tell the other nodes: ${(err as Error).message}`);
      });
    },
    onPurge(listener) {
      purgeListeners.push(listener);
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async close() {
      closed = true;
      clearInterval(beat);
      await client?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
