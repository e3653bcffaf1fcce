import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

export interface PostgresServer {
  /** A fresh, empty database on this server. */
  createDatabase(): Promise<string>;
  /**
   * SIGKILLs one client backend of `database`, as the OOM killer or a segfault would: the server
   * then ends every other backend and recovers, so every connection to it drops at once. Returns
   * whether there was one to kill.
   */
  crashBackend(database: string): Promise<boolean>;
  /** SIGSTOP to the server and all its processes: connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Debian puts the server binaries outside PATH, under /usr/lib/postgresql/<version>/bin. */
function findBinDir(): string | undefined {
  if (spawnSync('initdb', ['--version'], { stdio: 'ignore' }).status === 0) {
    const which = spawnSync('sh', ['-c', 'dirname "$(readlink -f "$(command -v initdb)")"'], {
      encoding: 'utf8',
    });
    return which.stdout.trim() || undefined;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

const BIN = findBinDir();
export const POSTGRES_AVAILABLE = BIN !== undefined;
const MISSING = 'PostgreSQL is not installed: Postgres tests skipped (apt-get install postgresql)';
if (!POSTGRES_AVAILABLE && !process.env['CI']) console.warn(`NOTICE: ${MISSING}`);

// initdb refuses to run as root; under root (CI containers) the server runs as the postgres user.
const AS_ROOT = process.getuid?.() === 0;
const owner = AS_ROOT
  ? (() => {
      const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      return id.status === 0 ? { uid: Number(id.stdout), gid: Number(gid.stdout) } : undefined;
    })()
  : undefined;

function command(bin: string, args: string[]): [string, string[]] {
  const path = join(BIN!, bin);
  return AS_ROOT ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

/**
 * Starts a real PostgreSQL from the installed binaries on a temp dir and a free port (no fsync:
 * test data is thrown away). Without the binaries: undefined and a visible notice, except under
 * CI=true, where a missing service is a failure.
 */
export async function startPostgres(opts: { crashSafe?: boolean } = {}): Promise<PostgresServer | undefined> {
  if (!POSTGRES_AVAILABLE) {
    if (process.env['CI']) throw new Error(`${MISSING}; under CI=true this is a failure`);
    return undefined;
  }
  if (AS_ROOT && !owner) throw new Error('running as root needs a "postgres" user to run the server as');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = command('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const [cmd, args] = command('postgres', [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    // Off, a commit is acknowledged before its WAL is written, and a crash of the server (not
    // of the machine) loses it: a test that crashes the server keeps it on.
    '-c',
    `synchronous_commit=${opts.crashSafe ? 'on' : 'off'}`,
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: 'ignore' });
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForConnect(admin, child);
  let n = 0;
  // The postmaster, from its own pid file, and its processes. Not runuser (the child under root),
  // which stops itself when it sees its child stopped: `continueAll` wakes it after the server,
  // or it would never reap the server, and a later stop would wait for it forever.
  const serverPids = (): number[] => {
    let postmaster: number;
    try {
      postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return [];
    }
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of serverPids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  const continueAll = () => {
    signalAll('SIGCONT');
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGCONT');
    } catch {
      // Gone.
    }
  };
  return {
    async crashBackend(database) {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        const r = await c.query(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' LIMIT 1",
          [database],
        );
        const pid = r.rows[0]?.pid as number | undefined;
        if (pid === undefined) return false;
        process.kill(pid, 'SIGKILL');
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    pause: () => signalAll('SIGSTOP'),
    resume: continueAll,
    async createDatabase() {
      const name = `gatehouse_test_${++n}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (child.exitCode === null) {
        let done = false;
        const exited = new Promise<void>((r) =>
          child.once('exit', () => {
            done = true;
            r();
          }),
        );
        // A test may have left processes stopped (pause), or the server recovering from a crash.
        continueAll();
        // runuser does not pass signals on; pg_ctl tells the server itself (fast: clients are cut;
        // immediate, if that does not end it: no shutdown checkpoint, as after a crash).
        for (const mode of ['fast', 'immediate']) {
          if (done) break;
          const [stopCmd, stopArgs] = command('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '10', 'stop']);
          spawnSync(stopCmd, stopArgs, { stdio: 'ignore' });
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        }
        if (!done) {
          signalAll('SIGKILL');
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForConnect(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} during start`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      return;
    } catch (err) {
      last = err;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections: ${(last as Error)?.message}`);
}
