import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { PRLIMIT, skipWithoutPrlimit } from '../helpers/prlimit.ts';
import { scrapeMetrics } from '../helpers/prometheus.ts';
import { spawnCli } from '../helpers/spawn.ts';

/**
 * A full disk, made with a soft limit on the size of any file the gateway writes (`ulimit -S -f`):
 * past it, SQLite's writes and the journal's appends fail as they would on a full disk (EFBIG
 * instead of ENOSPC). `prlimit` (util-linux) lifts it while the gateway runs: the disk has room again.
 */
const { skip: SKIP_PRLIMIT, missing: MISSING } = skipWithoutPrlimit('the full-disk test');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const REQUESTS = 60;

describe.skipIf(SKIP_PRLIMIT)('a full disk', () => {
  it('requests are answered and cached as they can be; log rows go to the queue, then the journal, then are counted as dropped; all that was kept is stored once there is room', async () => {
    if (!PRLIMIT) throw new Error(`${MISSING}; under CI=true this is a failure`);
    const mock = await startMockUpstream();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-disk-full-'));
    dirs.push(dataDir);
    const gatehouse = spawnCli(
      ['start'],
      {
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
        GATEHOUSE_LOG_FLUSH_MS: '50',
        GATEHOUSE_LOG_MAX_QUEUE_BYTES: String(256 * 1024),
        GATEHOUSE_CACHE_STORE: 'sqlite',
      },
      undefined,
      // Room for the new database, then for a few dozen bodies in it and as many in the journal.
      { fileSizeLimitKiB: 1024 },
    );
    try {
      const url = (await gatehouse.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const metric = async (name: string) =>
        Number((await scrapeMetrics(url, ADMIN_TOKEN)).get(name)!.metrics[0]!.value);
      const storedLogs = async () => {
        const res = await fetch(
          `${url}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=1`,
          {
            headers: admin,
          },
        );
        expect(res.status).toBe(200);
        return ((await res.json()) as { result_info: { total_count: number } }).result_info.total_count;
      };

      // Each request a different ~60 KB prompt that does not compress: kept as the log's body.
      const statuses: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const res = await fetch(`${url}/v1/local/default/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk',
            'cf-aig-cache-ttl': '3600',
          },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: randomBytes(45_000).toString('base64') }],
          }),
        });
        await res.text();
        statuses.push(res.status);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(statuses).toEqual(Array(REQUESTS).fill(200));
      expect(gatehouse.child.exitCode).toBeNull();

      const dropped = await metric('gatehouse_log_rows_dropped_total');
      expect(dropped).toBeGreaterThan(0);
      expect(await metric('gatehouse_log_rows_spilled_total')).toBeGreaterThan(0);
      expect(await storedLogs()).toBeLessThan(REQUESTS - dropped);
      const out = gatehouse.output();
      // What failed is named (SQLite's own error, not a failed ROLLBACK hiding it), and each
      // trouble is reported once a minute at most, not once per row or per flush.
      expect(out).not.toMatch(/cannot rollback/);
      expect(out).toMatch(/log writer: (disk I\/O error|database or disk is full)/);
      expect(
        out.match(/log rows? dropped: the database is behind and the journal cannot be written \(EFBIG/g),
      ).toHaveLength(1);
      expect(out.match(/log writer: (disk I\/O error|database or disk is full)/g)).toHaveLength(1);
      expect(out.match(/cache \(sqlite\): storing an entry failed/g)?.length ?? 0).toBeLessThanOrEqual(1);

      // Room again: the queue and the journal go in, and nothing is stored twice.
      execFileSync('prlimit', ['--pid', String(gatehouse.child.pid), '--fsize=unlimited:']);
      const deadline = Date.now() + 20_000;
      let stored = await storedLogs();
      while (stored < REQUESTS - dropped && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        stored = await storedLogs();
      }
      expect(stored).toBe(REQUESTS - dropped);
      expect(existsSync(join(dataDir, 'log-journal.ndjson'))).toBe(false);
      expect(existsSync(join(dataDir, 'log-journal.ndjson.replaying'))).toBe(false);
      await gatehouse.waitFor(/log writer: the database takes log rows again/);
      expect(await metric('gatehouse_log_rows_dropped_total')).toBe(dropped);

      // And the cache works again.
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'after' }] });
      const headers = {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'cf-aig-cache-ttl': '3600',
      };
      const chat = () =>
        fetch(`${url}/v1/local/default/openai/chat/completions`, { method: 'POST', headers, body });
      await (await chat()).text();
      expect((await chat()).headers.get('cf-aig-cache-status')).toBe('HIT');
      gatehouse.child.kill('SIGTERM');
      expect(await gatehouse.exited).toBe(0);
    } finally {
      if (gatehouse.child.exitCode === null) gatehouse.child.kill('SIGKILL');
      await gatehouse.exited;
      await mock.close();
    }
  }, 60_000);
});
