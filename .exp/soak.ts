import { spawn, spawnSync, execSync } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startMockUpstream } from '../test/fixtures/mock-upstream.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { spawnCli } from '../test/helpers/spawn.ts';
import { startRedis } from '../test/helpers/redis-server.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const as = (cmd: string, args: string[]) => spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'soak-pg-'));
chownSync(dir, Number(execSync('id -u postgres')), Number(execSync('id -g postgres')));
const data = join(dir, 'data');
as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
const port = await freePort();
const pgArgs = ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w'];
console.log('pg start', as('pg_ctl', [...pgArgs, 'start']).status);
const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
const redis = (await startRedis())!;
const mock = await startMockUpstream();
const gw = spawnCli(['start'], {
  GATEHOUSE_PORT: '0',
  GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'soak-gw-')),
  GATEHOUSE_ADMIN_TOKEN: 'soak-admin-token-0123456789',
  GATEHOUSE_SECRET_KEY: 'd'.repeat(64),
  GATEHOUSE_DATABASE_URL: url,
  GATEHOUSE_REDIS_URL: redis.url,
  GATEHOUSE_CACHE_STORE: 'redis',
  GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '2000',
  GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
});
const base = (await gw.waitFor(/listening on (http:\/\/\S+)/))[1]!;
const agent = new Agent({ connections: 16 });
let sent = 0, ok = 0, bad = 0, errors = 0;
const statuses = new Map<number, number>();
let running = true;
const worker = async (w: number) => {
  while (running) {
    sent++;
    try {
      const res = await request(`${base}/v1/local/default/openai/chat/completions`, {
        dispatcher: agent, method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk', ...(w % 2 ? { 'cf-aig-cache-ttl': '600' } : {}) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${sent % 50}` }] }),
      });
      await res.body.text();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode === 200) ok++; else bad++;
    } catch { errors++; }
  }
};
const workers = Array.from({ length: 16 }, (_, i) => worker(i));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pids = () => execSync(`pgrep -u postgres -f "postgres"`).toString().trim().split('\n').map(Number);
const alive = () => gw.child.exitCode === null;
await sleep(3000); console.log('warm', { sent, ok, bad, errors, alive: alive() });
console.log('chaos 1: pg_ctl restart -m immediate'); as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'restart', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log')]);
await sleep(4000); console.log({ sent, ok, bad, errors, alive: alive() });
console.log('chaos 2: kill -9 one backend');
try { execSync(`/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p ${port} -U postgres -Atc "SELECT pid FROM pg_stat_activity WHERE application_name <> 'psql' AND backend_type = 'client backend' LIMIT 1" | xargs -r kill -9`); } catch (e) { console.log('kill failed', (e as Error).message); }
await sleep(4000); console.log({ sent, ok, bad, errors, alive: alive() });
console.log('chaos 3: SIGSTOP postgres 4 s');
for (const p of pids()) try { process.kill(p, 'SIGSTOP'); } catch {}
await sleep(4000);
for (const p of pids()) try { process.kill(p, 'SIGCONT'); } catch {}
await sleep(4000); console.log({ sent, ok, bad, errors, alive: alive() });
console.log('chaos 4: redis SIGSTOP 3 s');
const rpid = Number(execSync(`pgrep -f "redis-server.*${new URL(redis.url).port}"`).toString().trim().split('\n')[0]);
process.kill(rpid, 'SIGSTOP'); await sleep(3000); process.kill(rpid, 'SIGCONT');
await sleep(3000); console.log({ sent, ok, bad, errors, alive: alive() });
running = false; await Promise.all(workers);
console.log('statuses', [...statuses]);
// Every answered request should be logged once the writer has caught up.
const answered = ok + bad;
let total = -1;
for (let i = 0; i < 60; i++) {
  const r = await request(`${base}/client/v4/accounts/local/ai-gateway/gateways/default/logs?per_page=1`, { headers: { authorization: 'Bearer soak-admin-token-0123456789' } });
  const j = (await r.body.json()) as any;
  total = j.result_info?.total_count ?? -1;
  if (total >= answered) break;
  await sleep(1000);
}
console.log({ answered, logged: total, alive: alive() });
console.log('--- gateway output (warnings)');
console.log(gw.output().split('\n').slice(-40).join('\n'));
gw.child.kill('SIGTERM'); await gw.exited;
await mock.close(); await redis.stop();
as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
