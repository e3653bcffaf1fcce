import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';
import { startRedis } from '../helpers/redis-server.ts';
import type { MockUpstream } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';

let mock: MockUpstream;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-cache-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(async () => {
  await mock?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function ask(base: string) {
  const res = await request(`${base}/v1/local/default/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk', 'cf-aig-cache-ttl': '3600' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'shared?' }] }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, cache: res.headers['cf-aig-cache-status'], text };
}

describe('persistent and shared cache stores', () => {
  it('sqlite entries survive a restart', async () => {
    mock.reset();
    const dataDir = tempDir();
    const env = { GATEHOUSE_CACHE_STORE: 'sqlite', GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1` };
    const first = await startGatehouse(env, { dataDir });
    const miss = await ask(first.url);
    await first.close();
    const second = await startGatehouse(env, { dataDir });
    const hit = await ask(second.url);
    await second.close();
    expect(miss.cache).toBe('MISS');
    expect(hit.cache).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(mock.requests).toHaveLength(1);
  });

  it('two gateway processes sharing one Redis share hits', async () => {
    const redis = await startRedis();
    if (!redis) return; // startRedis has reported why (and fails the run under CI=true)
    mock.reset();
    const env = {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_CACHE_STORE: 'redis',
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_ADMIN_TOKEN: 'shared-admin-token-0123456789',
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    };
    const a = spawnCli(['start'], { ...env, GATEHOUSE_DATA_DIR: tempDir() });
    const b = spawnCli(['start'], { ...env, GATEHOUSE_DATA_DIR: tempDir() });
    try {
      const baseA = (await a.waitFor(/listening on (http:\/\/[\d.:]+)/))[1]!;
      const baseB = (await b.waitFor(/listening on (http:\/\/[\d.:]+)/))[1]!;
      const fromA = await ask(baseA);
      // Node A stores in the background right after answering; let that write land.
      await new Promise((r) => setTimeout(r, 300));
      const fromB = await ask(baseB);
      expect(fromA.cache).toBe('MISS');
      expect(fromB.cache).toBe('HIT');
      expect(fromB.text).toBe(fromA.text);
      expect(mock.requests).toHaveLength(1);
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await redis.stop();
    }
  });
});
