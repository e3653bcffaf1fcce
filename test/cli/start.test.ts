import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';
import type { MockUpstream } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';

let mock: MockUpstream;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(async () => {
  await mock?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('gatehouse <command>', () => {
  it('an unknown command, even one named like what every object has, is a usage error', async () => {
    for (const name of ['nosuch', 'constructor', 'toString']) {
      const p = spawnCli([name], {});
      expect(await p.exited, name).toBe(1);
      expect(p.output()).toContain(`gatehouse: unknown command "${name}"`);
    }
  });
});

describe('gatehouse start', () => {
  it('prints where each setting came from, generates the admin token once with mode 0600', async () => {
    const dataDir = tempDir();
    const env = {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    };
    const first = spawnCli(['start'], env, tempDir());
    await first.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    await first.waitFor(/gha_[\w-]{20,}/);
    const out = first.output();
    expect(out).toMatch(/port\s+0\s+\(env GATEHOUSE_PORT\)/);
    expect(out).toMatch(/host\s+127\.0\.0\.1\s+\(default\)/);
    expect(out).toContain(dataDir);
    expect(out).toMatch(/openai\s+http:\/\/127\.0\.0\.1:\d+\/v1\s+\(env GATEHOUSE_UPSTREAM_OPENAI\)/);
    // `npm start` serves the dashboard too, at the address the banner names.
    const dashboard = out.match(/Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/)![1]!;
    const page = await fetch(dashboard);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const token = out.match(/gha_[\w-]{20,}/)![0];
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'gatehouse.db')).mode & 0o777).toBe(0o600);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = spawnCli(['start'], env, tempDir());
    await second.waitFor(/listening on/);
    await second.waitFor(/admin token\s+set/);
    expect(second.output()).not.toContain(token);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses a bad configuration with a clear message and exit code 1', async () => {
    const p = spawnCli(['start'], { GATEHOUSE_PORT: 'eighty', GATEHOUSE_DATA_DIR: tempDir() });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('GATEHOUSE_PORT: expected an integer from 0 to 65535, got "eighty"');
  });

  it('a start that fails says why in one line, without a stack trace or a password, and exits 1', async () => {
    const busy = await startGatehouse();
    const port = new URL(busy.url).port;
    // A database a newer Gatehouse has migrated (a downgrade).
    const newerSchemaDir = tempDir();
    const newer = new DatabaseSync(join(newerSchemaDir, 'gatehouse.db'));
    newer.exec(
      'CREATE TABLE gatehouse_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL); ' +
        "INSERT INTO gatehouse_migrations VALUES (99, 'from the future', 0);",
    );
    newer.close();
    // A file in the database's place that is not one (a bad copy, another tool's file).
    const notADatabaseDir = tempDir();
    writeFileSync(join(notADatabaseDir, 'gatehouse.db'), 'x'.repeat(4096));
    try {
      const cases: Array<[Record<string, string>, string]> = [
        [
          { GATEHOUSE_PORT: port },
          `gatehouse: could not start: 127.0.0.1:${port} is already in use by another process; set GATEHOUSE_PORT`,
        ],
        [
          { GATEHOUSE_SECRET_KEY: 'too-short' },
          'gatehouse: could not start: GATEHOUSE_SECRET_KEY must be 32 bytes as 64 hexadecimal characters',
        ],
        [
          // A second process on a running gateway's data dir (after a kill -9 the lock is gone:
          // the durability test restarts on the same dir).
          { GATEHOUSE_DATA_DIR: busy.dataDir },
          `gatehouse: could not start: the data dir ${busy.dataDir} is in use by another Gatehouse process. Give each process its own GATEHOUSE_DATA_DIR, or share config and logs between nodes through Postgres`,
        ],
        [
          { GATEHOUSE_DATA_DIR: notADatabaseDir },
          `gatehouse: could not start: database ${join(notADatabaseDir, 'gatehouse.db')}: file is not a database`,
        ],
        [
          { GATEHOUSE_DATA_DIR: newerSchemaDir },
          `gatehouse: could not start: database ${join(newerSchemaDir, 'gatehouse.db')}: its schema is at version 99, set by a newer Gatehouse; this one knows versions up to`,
        ],
        [
          // Port 1 on loopback: nothing listens there, so the connection is refused at once.
          { GATEHOUSE_DATABASE_URL: 'postgres://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse' },
          'gatehouse: could not start: database postgres://gatehouse:***@127.0.0.1:1/gatehouse: connect ECONNREFUSED',
        ],
      ];
      for (const [env, message] of cases) {
        const p = spawnCli(['start'], { GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: tempDir(), ...env });
        expect(await p.exited, p.output()).toBe(1);
        expect(p.output()).toContain(message);
        expect(p.output()).not.toMatch(/\n\s+at |hunter2/);
      }
    } finally {
      await busy.close();
    }
  });

  it('a database that accepts the connection and never answers fails the start after 10 s, not never', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s)); // takes connections, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const p = spawnCli(['start'], {
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: tempDir(),
        GATEHOUSE_DATABASE_URL: `postgres://gatehouse:pw@127.0.0.1:${port}/gatehouse`,
      });
      expect(await p.exited, p.output()).toBe(1);
      expect(p.output()).not.toMatch(/\n\s+at /);
      expect(p.output()).toMatch(
        /gatehouse: could not start: database postgres:\/\/gatehouse:\*\*\*@127\.0\.0\.1:\d+\/gatehouse: .*timeout/i,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);

  it('on SIGTERM stops accepting, finishes the in-flight stream, flushes logs and exits 0', async () => {
    const dataDir = tempDir();
    const p = spawnCli(['start'], {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: 'sigterm-admin-token-0123456789',
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
      // Long enough that only the SIGTERM flush can have written the row.
      GATEHOUSE_LOG_FLUSH_MS: '600000',
    });
    const match = await p.waitFor(/listening on (http:\/\/[\d.:]+)/);
    const base = match[1]!;
    const res = await request(`${base}/v1/local/default/openai/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk',
        'x-mock-scenario': 'frame-gap=100',
      },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [],
      }),
    });
    const logId = res.headers['cf-aig-log-id'] as string;
    const iterator = res.body[Symbol.asyncIterator]();
    let text = ((await iterator.next()).value as Buffer).toString();
    p.child.kill('SIGTERM');
    await p.waitFor(/SIGTERM received/);
    // New connections are refused while the old stream goes on.
    await expect(request(`${base}/healthz`)).rejects.toThrow();
    for (let r = await iterator.next(); !r.done; r = await iterator.next())
      text += (r.value as Buffer).toString();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await p.exited).toBe(0);

    const restarted = await startGatehouse(
      { GATEHOUSE_ADMIN_TOKEN: 'sigterm-admin-token-0123456789' },
      { dataDir },
    );
    const log = await restarted.api('GET', `/gateways/default/logs/${logId}`);
    await restarted.close();
    expect(log.status).toBe(200);
    expect(log.json.result).toMatchObject({
      id: logId,
      success: true,
      status_code: 200,
      model: 'gpt-4o-mini',
    });
    expect(log.json.result.tokens_out).toBeGreaterThan(0);
  });
});

describe('gatehouse demo', () => {
  it('runs the gateway against the built-in fake provider and sends traffic that succeeds', async () => {
    const p = spawnCli(['demo', '--once', '--requests', '6'], {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: tempDir(),
    });
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('6 succeeded, 0 failed');
    expect(p.output()).toContain("baseURL: 'http://127.0.0.1:");
  });
});
