import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from '../fixtures/mock-upstream.ts';
import { SHARED_SECRET_KEY } from '../helpers/databases.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from '../helpers/postgres-server.ts';
import { chatLogId, type Spawned, spawnCli } from '../helpers/spawn.ts';
import { type StallingProxy, startStallingProxy } from '../helpers/stalling-proxy.ts';

/*
 * Postgres reached through a TCP proxy that can hold every packet (a database that says nothing:
 * a host gone from the network, a stopped server) or drop every connection at once (a proxy or
 * network failing mid-query). The gateway runs as its own process, so a crash shows as an exit.
 */
describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])(
  'a Postgres that goes silent or drops connections',
  () => {
    let server: PostgresServer;
    let mock: MockUpstream;
    let proxy: StallingProxy;
    let gateway: Spawned;
    let base = '';
    let url: URL;
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-silent-'));

    beforeAll(async () => {
      server = (await startPostgres())!;
      mock = await startMockUpstream();
      url = new URL(await server.createDatabase());
      proxy = await startStallingProxy(Number(url.port));
      const proxied = new URL(url);
      proxied.port = String(proxy.port);
      gateway = spawnCli(['start'], {
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_SECRET_KEY: SHARED_SECRET_KEY,
        GATEHOUSE_DATABASE_URL: proxied.toString(),
        GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '500',
        GATEHOUSE_LOG_FLUSH_MS: '100',
        GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
      });
      base = (await gateway.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    });
    afterAll(async () => {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
      await proxy.close();
      await mock.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    // The logs are read from the database on every call (gateways and tokens are served from memory).
    const listLogs = async () => {
      const res = await fetch(
        `${base}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=100`,
        { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      );
      return { status: res.status, body: (await res.json()) as any };
    };
    const chat = () => chatLogId(base);
    const storedIds = async () => {
      const { status, body } = await listLogs();
      expect(status).toBe(200);
      return (body.result as Array<{ id: string }>).map((l) => l.id);
    };
    const eventually = async (check: () => Promise<void>, ms = 10_000) => {
      const until = Date.now() + ms;
      for (;;) {
        try {
          return await check();
        } catch (err) {
          if (Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };

    /** Runs `during` while another session holds the logs table locked, so queries on it wait. */
    const withLogsLocked = async (during: () => Promise<void>) => {
      const admin = new pg.Client({ connectionString: url.toString() });
      await admin.connect();
      try {
        await admin.query('BEGIN');
        await admin.query('LOCK TABLE logs IN ACCESS EXCLUSIVE MODE');
        await during();
        await admin.query('ROLLBACK');
      } finally {
        await admin.end();
      }
    };

    it('sends no startup parameter a pooler refuses: PgBouncer fails a connection that asks for statement_timeout', async () => {
      expect((await listLogs()).status).toBe(200);
      const startups = proxy.firstPackets.map((p) => p.toString('latin1'));
      expect(startups.length).toBeGreaterThan(0);
      expect(startups.some((p) => p.includes('database'))).toBe(true);
      for (const p of startups) expect(p).not.toMatch(/statement_timeout|options/);
    });

    it('a database that says nothing: the management API answers 503 within the bound, the data plane is not held, no row is lost', async () => {
      expect((await listLogs()).status).toBe(200);
      const ids = [await chat()];
      await eventually(async () => expect(await storedIds()).toEqual(ids));

      proxy.stall();
      const { status, body } = await listLogs();
      expect(status).toBe(503);
      expect(body.errors[0].message).toMatch(
        /The database is unavailable \(the database did not answer within 1 s\)/,
      );
      // Meanwhile requests are answered; their rows wait in the writer's queue.
      for (let i = 0; i < 5; i++) ids.push(await chat());

      proxy.flow();
      await eventually(async () => expect((await storedIds()).sort()).toEqual([...ids].sort()));
      expect(gateway.child.exitCode).toBeNull();
    });

    it('a statement that runs past the limit is cancelled by Postgres and answered with a 503 that names the setting', async () => {
      await withLogsLocked(async () => {
        const { status, body } = await listLogs();
        expect(status).toBe(503);
        expect(body.errors[0].message).toBe(
          'The database did not finish this request within 500 ms (database_query_timeout_ms); ask for less (a shorter time range, more filters) or raise the limit',
        );
      });
      expect((await listLogs()).status).toBe(200);
    });

    it('connections dropped in the middle of a query: that request fails, the gateway lives on', async () => {
      await withLogsLocked(async () => {
        const pending = listLogs(); // waits on the lock, its query in flight
        await new Promise((r) => setTimeout(r, 200));
        proxy.cut();
        const { status, body } = await pending;
        expect(status).toBe(503);
        expect(body.errors[0].message).toMatch(/Connection terminated unexpectedly/);
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(gateway.child.exitCode).toBeNull();
      expect((await listLogs()).status).toBe(200);
      expect(gateway.output()).not.toMatch(/Uncaught|unhandled|at Client\./i);
    });
  },
);
