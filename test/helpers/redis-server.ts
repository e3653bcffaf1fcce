import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export interface RedisServer {
  url: string;
  /** SIGSTOP: the server keeps its connections open and answers nothing, as a hung Redis does. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function hasBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export const REDIS_AVAILABLE = hasBinary();

const MISSING = 'redis-server is not installed: Redis tests skipped (apt-get install redis-server)';

// Suites skip their Redis cases without calling startRedis, so say it once, where it is decided.
if (!REDIS_AVAILABLE && !process.env['CI']) console.warn(`NOTICE: ${MISSING}`);

/**
 * Starts a real redis-server from the installed binary on a free port and a temp dir. Without the
 * binary: undefined and a visible notice, except under CI=true, where a missing service is a failure.
 */
export async function startRedis(): Promise<RedisServer | undefined> {
  if (!REDIS_AVAILABLE) {
    if (process.env['CI']) throw new Error(`${MISSING}; under CI=true this is a failure`);
    return undefined;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await waitForPing(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGCONT');
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection(port, '127.0.0.1', () => c.write('PING\r\n'));
      c.on('data', (d) => {
        c.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}
