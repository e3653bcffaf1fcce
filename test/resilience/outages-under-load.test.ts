import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { SHARED_SECRET_KEY } from '../helpers/databases.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { POSTGRES_AVAILABLE, startPostgres } from '../helpers/postgres-server.ts';
import { REDIS_AVAILABLE, startRedis } from '../helpers/redis-server.ts';
import { spawnCli } from '../helpers/spawn.ts';

const SKIP = (!POSTGRES_AVAILABLE || !REDIS_AVAILABLE) && !process.env['CI'];

/*
 * The gateway as `npm start` runs it, on Postgres and Redis, under steady load from 16 clients
 * (half of them cached), while its services fail one after another: a Postgres backend killed
 * (the server then drops every connection and recovers), Postgres frozen past the query bound,
 * Redis frozen past its reply bound. The data plane must not notice, the process must live, and
 * every answered request must end up in the logs, once.
 */
describe.skipIf(SKIP)('outages under load', () => {
  it('Postgres crashing and freezing, Redis freezing: every request answered, the gateway alive, every request logged once', async () => {
    // Crash-safe: with asynchronous commit, the crash itself would lose the last rows committed.
    const postgres = (await startPostgres({ crashSafe: true }))!;
    const redis = (await startRedis())!;
    const mock = await startMockUpstream();
    const databaseUrl = await postgres.createDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-outages-'));
    const gateway = spawnCli(['start'], {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_SECRET_KEY: SHARED_SECRET_KEY,
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_CACHE_STORE: 'redis',
      GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '1000',
      GATEHOUSE_LOG_FLUSH_MS: '200',
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    });
    const agent = new Agent({ connections: 16 });
    try {
      const base = (await gateway.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const statuses = new Map<number | string, number>();
      let n = 0;
      let running = true;
      const client = async (c: number) => {
        while (running) {
          const i = n++;
          let status: number | string;
          try {
            const res = await request(`${base}/v1/local/default/openai/chat/completions`, {
              dispatcher: agent,
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: 'Bearer sk',
                ...(c % 2 ? { 'cf-aig-cache-ttl': '600' } : {}),
              },
              body: JSON.stringify({
                model: 'gpt-4o-mini',
                messages: [{ role: 'user', content: `q${i % 40}` }],
              }),
            });
            await res.body.text();
            status = res.statusCode;
          } catch (err) {
            status = (err as { code?: string }).code ?? 'error';
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      const clients = Array.from({ length: 16 }, (_, c) => client(c));
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await sleep(1_500);
      expect(await postgres.crashBackend(new URL(databaseUrl).pathname.slice(1))).toBe(true);
      await sleep(2_500);
      postgres.pause();
      await sleep(3_000);
      postgres.resume();
      await sleep(1_500);
      redis.pause();
      await sleep(2_500);
      redis.resume();
      await sleep(1_500);
      running = false;
      await Promise.all(clients);

      expect(gateway.child.exitCode).toBeNull();
      expect([...statuses.keys()]).toEqual([200]);
      const answered = statuses.get(200)!;
      expect(answered).toBeGreaterThan(1_000);
      // The writer retries what the outages refused; wait for it to catch up.
      let logged = -1;
      for (let i = 0; i < 100 && logged !== answered; i++) {
        const res = await request(
          `${base}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=1`,
          {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          },
        );
        const body = (await res.body.json()) as { result_info?: { total_count: number } };
        logged = body.result_info?.total_count ?? -1;
        if (logged !== answered) await sleep(200);
      }
      expect(logged).toBe(answered);
      const output = gateway.output();
      expect(output).toMatch(/cache: Redis is back after \d+ s; caching again/);
      expect(output).not.toMatch(/Uncaught|unhandled|\n\s+at /);
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
      await agent.close();
      await mock.close();
      await redis.stop();
      await postgres.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
