import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import type { MockUpstream } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';

const chat = (content: string, stream = false) =>
  JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content }],
    ...(stream ? { stream } : {}),
  });

/**
 * Two gateway nodes sharing one Redis cache, each with its own database: identical requests that
 * reach different nodes at once call the provider once, as they do within one node.
 */
describe.skipIf(!REDIS_AVAILABLE && !process.env['CI'])('cache coalescing across nodes sharing Redis', () => {
  let redis: RedisServer;
  let mock: MockUpstream;
  let a: TestGateway;
  let b: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = (await startRedis())!;
    mock = await startMockUpstream();
    env = {
      GATEHOUSE_CACHE_STORE: 'redis',
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    };
    a = await startGatehouse(env);
    b = await startGatehouse(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await mock?.close();
    await redis?.stop();
  });
  beforeEach(() => mock.reset());

  async function send(base: string, body: string, scenario?: string) {
    const sent = performance.now();
    const res = await request(`${base}/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-one',
        'cf-aig-cache-ttl': '300',
        ...(scenario ? { 'x-mock-scenario': scenario } : {}),
      },
      body,
    });
    const headAt = performance.now() - sent;
    const text = await res.body.text();
    return {
      status: res.statusCode,
      cache: res.headers['cf-aig-cache-status'],
      text,
      headAt,
      endAt: performance.now() - sent,
    };
  }

  it('ten concurrent identical requests spread over two nodes reach the upstream once', async () => {
    const body = chat('across nodes');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send((i % 2 ? a : b).gatewayUrl(), body, 'slow-first-byte=300')),
    );
    expect(mock.requests).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.cache === 'MISS')).toHaveLength(1);
    expect(results.filter((r) => r.cache === 'HIT')).toHaveLength(9);
    // Every node logs its hits as hits.
    await a.flushLogs();
    await b.flushLogs();
    const logged = [
      ...(await a.api('GET', '/gateways/default/logs')).json.result,
      ...(await b.api('GET', '/gateways/default/logs')).json.result,
    ];
    expect(logged.filter((l: { cached: boolean }) => l.cached)).toHaveLength(9);
  });

  it("when the leading node's answer is an error, the other node makes its own call", async () => {
    const body = chat('leader fails');
    mock.enqueue('status=500;slow-first-byte=300');
    const first = send(a.gatewayUrl(), body);
    await vi.waitFor(() => expect(mock.requests).toHaveLength(1));
    const second = await send(b.gatewayUrl(), body);
    expect((await first).status).toBe(500);
    expect(second).toMatchObject({ status: 200, cache: 'MISS' });
    expect(mock.requests).toHaveLength(2);
    // The second answer was stored: a third request, on either node, is a hit.
    expect((await send(a.gatewayUrl(), body)).cache).toBe('HIT');
  });

  it("a stream is not waited for on another node: its first byte comes before the leader's stream ends", async () => {
    const body = chat('stream across nodes', true);
    const leader = send(a.gatewayUrl(), body, 'frame-gap=150');
    await vi.waitFor(() => expect(mock.requests).toHaveLength(1));
    const other = await send(b.gatewayUrl(), body, 'frame-gap=150');
    const first = await leader;
    expect(first).toMatchObject({ status: 200, cache: 'MISS' });
    expect(other).toMatchObject({ status: 200, cache: 'MISS' });
    expect(mock.requests).toHaveLength(2);
    // Started after the leader, B answered its head before the leader's stream was over.
    expect(other.headAt).toBeLessThan(first.endAt);
    expect(other.text).toContain('data: [DONE]');
  });

  it('when the leading node dies mid-call, the waiting node makes its own call once the claim lapses', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-claim-'));
    const node = spawnCli(['start'], {
      ...env,
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: 'claim-admin-token-0123456789',
    });
    try {
      const base = (await node.waitFor(/listening on (http:\/\/[\d.:]+)/))[1]!;
      const body = chat('leader dies');
      // The dying node's call never gets an answer; it holds the claim until it is killed.
      void send(`${base}/v1/local/default`, body, 'hang').catch(() => undefined);
      await vi.waitFor(() => expect(mock.requests).toHaveLength(1));
      const waiting = send(b.gatewayUrl(), body);
      // B follows the claim instead of calling the provider itself.
      await new Promise((r) => setTimeout(r, 500));
      expect(mock.requests).toHaveLength(1);
      node.child.kill('SIGKILL');
      await node.exited;
      const answered = await waiting;
      expect(answered).toMatchObject({ status: 200, cache: 'MISS' });
      expect(mock.requests).toHaveLength(2);
    } finally {
      node.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
