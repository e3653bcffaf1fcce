import type { Pool } from 'pg';

/**
 * Tells the other nodes that config changed (gateways, tokens, custom providers, stored keys), so
 * each reloads it from the shared database at once. On one SQLite node there is no one to tell.
 */
export interface ChangeFeed {
  publish(): void;
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

export const localFeed = (): ChangeFeed => ({ publish() {}, onChange() {}, close: async () => {} });

const CHANNEL = 'gatehouse_config';

/**
 * Postgres LISTEN/NOTIFY on a dedicated connection. A node ignores its own notifications (its
 * registries already hold the change). A lost connection is re-established, followed by one
 * reload, since notifications sent meanwhile are gone.
 */
export async function postgresFeed(
  connectionString: string,
  log: (level: 'warn', message: string) => void,
): Promise<ChangeFeed> {
  const { default: pg } = await import('pg');
  const self = String(process.pid) + Math.random().toString(36).slice(2, 8);
  const listeners: Array<() => void> = [];
  const pool: Pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('error', (err) => log('warn', `config change feed: ${err.message}`));
  let closed = false;
  let client: import('pg').Client | undefined;
  const fire = () => {
    for (const l of listeners) l();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', (n) => {
      if (n.payload !== self) fire();
    });
    c.on('error', (err) => {
      log('warn', `config change feed: ${err.message}; reconnecting`);
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(() => void reconnect(), 500).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  const reconnect = async () => {
    try {
      await connect();
      fire();
    } catch (err) {
      log('warn', `config change feed: ${(err as Error).message}; retrying`);
      if (!closed) setTimeout(() => void reconnect(), 1000).unref();
    }
  };
  await connect();

  return {
    publish() {
      pool.query('SELECT pg_notify($1, $2)', [CHANNEL, self]).catch((err: unknown) => {
        log('warn', `config change feed: could not notify other nodes: ${(err as Error).message}`);
      });
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
