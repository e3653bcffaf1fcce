import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { freePort } from '../helpers/free-port.ts';
import { ADMIN_TOKEN } from '../helpers/gatehouse.ts';
import { spawnCli } from '../helpers/spawn.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse logs tail', () => {
  it('reconnects when the gateway restarts, and goes on printing', async () => {
    const mock = await startMockUpstream();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-tail-'));
    dirs.push(dataDir);
    const port = await freePort();
    const env = {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_LOG_FLUSH_MS: '50',
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    };
    const url = `http://127.0.0.1:${port}`;
    const chat = async (model: string) => {
      const res = await fetch(`${url}/v1/local/default/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.text();
      expect(res.status).toBe(200);
    };
    let gateway = spawnCli(['start'], env);
    await gateway.waitFor(/listening on/);
    const tail = spawnCli(
      ['logs', 'tail', '--gateway', 'default', '--url', url, '--admin-token', ADMIN_TOKEN],
      {},
    );
    try {
      await tail.waitFor(/tailing default/);
      await chat('gpt-4o');
      await tail.waitFor(/openai {2}gpt-4o {2}200/);

      // The open tail does not hold the shutdown for its 30 s grace: the gateway ends it at once.
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      await tail.waitFor(/the stream closed at .*; reconnecting/);
      gateway = spawnCli(['start'], env);
      await gateway.waitFor(/listening on/);
      await tail.waitFor(/reconnected; tailing default/);
      await chat('gpt-4o-mini');
      await tail.waitFor(/openai {2}gpt-4o-mini {2}200/);
      expect(tail.child.exitCode).toBeNull();
    } finally {
      tail.child.kill('SIGINT');
      gateway.child.kill('SIGTERM');
      await Promise.all([tail.exited, gateway.exited]);
      await mock.close();
    }
  });

  it('a first connection that fails ends the tail with the reason', async () => {
    const port = await freePort();
    const tail = spawnCli(
      [
        'logs',
        'tail',
        '--gateway',
        'default',
        '--url',
        `http://127.0.0.1:${port}`,
        '--admin-token',
        ADMIN_TOKEN,
      ],
      {},
    );
    expect(await tail.exited).toBe(1);
    expect(tail.output()).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+; is it running\?/);
  });
});
