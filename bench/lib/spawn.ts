import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAffinity, readExecutable } from './proc.ts';

/**
 * Child processes for the bench, each pinned to one core with `taskset -c N` (util-linux) when it
 * is installed. taskset sets the affinity and then execs the command, so the pid we get back is
 * the node process itself: its /proc/<pid>/stat is the target's CPU time and nothing else.
 */

export const HAS_TASKSET: boolean = detectTaskset();

function detectTaskset(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pin the calling process (all its threads, and the threads it creates later) to one core. */
export function pinSelf(core: number): boolean {
  if (!HAS_TASKSET) return false;
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
  return true;
}

/**
 * Pin a running process: every thread to `helperCores`, then its main thread (tid = pid) to
 * `mainCore` alone. The request thread keeps its core; helper threads (V8's GC, worker threads)
 * may use the others.
 */
export function pinThreads(pid: number, mainCore: number, helperCores: string): boolean {
  if (!HAS_TASKSET) return false;
  execFileSync('taskset', ['-a', '-p', '-c', helperCores, String(pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-p', '-c', String(mainCore), String(pid)], { stdio: 'ignore' });
  return true;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last lines the child wrote to stdout and stderr, for error messages. */
  output(): string;
  /** Resolves with the first stdout/stderr line matching `pattern`; rejects if the child exits. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** Core to pin to, or null to inherit the parent's affinity. */
  core: number | null;
  /** Arguments after the node binary: a script and its options. */
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Start `node <args>` (the same Node binary as the driver), pinned to `core` when possible. */
export async function spawnNode(options: SpawnOptions): Promise<Child> {
  const pinned = options.core !== null && HAS_TASKSET;
  const command = pinned ? 'taskset' : process.execPath;
  const args = pinned ? ['-c', String(options.core), process.execPath, ...options.args] : options.args;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    await once(child, 'error');
    throw new Error(`${options.name}: could not spawn ${command}`);
  }
  const pid = child.pid;

  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let exited: string | null = null;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (data: string) => {
      const parts = (partial + data).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        for (const watch of watchers) watch(line);
      }
    });
  }
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      for (const watch of watchers) watch('');
      resolve();
    });
  });

  const handle: Child = {
    name: options.name,
    pid,
    process: child,
    output: () => lines.join('\n'),
    waitForLine(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`${options.name}: no "${pattern.source}" within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const finish = (error: Error | null, match?: RegExpExecArray) => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (error)
            reject(new Error(`${error.message}\n--- ${options.name} output ---\n${handle.output()}`));
          else resolve(match!);
        };
        const watch = (line: string) => {
          if (exited) return finish(new Error(`${options.name} ${exited}`));
          const match = pattern.exec(line);
          if (match) finish(null, match);
        };
        for (const line of lines) {
          const match = pattern.exec(line);
          if (match) return finish(null, match);
        }
        if (exited) return finish(new Error(`${options.name} ${exited}`));
        watchers.add(watch);
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exitedPromise.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };
  return handle;
}

/**
 * After the child is up, check that `pid` is really the node process and that it is pinned where
 * we asked; returns a notice to print when it is not.
 */
export function checkPinning(child: Child, core: number | null): string | null {
  const executable = readExecutable(child.pid);
  if (executable !== realpathSync(process.execPath)) {
    return `${child.name}: pid ${child.pid} runs ${executable}, not node: its CPU numbers are wrong`;
  }
  if (core !== null && HAS_TASKSET && readAffinity(child.pid) !== String(core)) {
    return `${child.name}: expected to run on core ${core}, runs on ${readAffinity(child.pid)}`;
  }
  return null;
}

/** A TCP port that was free a moment ago (listen on 0, read the port, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Poll `url` until it answers 200, the child exits, or the time is up. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(
        `${child.name} exited before ${url} answered\n--- ${child.name} output ---\n${child.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(
    `${child.name}: ${url} did not answer 200 within ${timeoutMs} ms\n--- output ---\n${child.output()}`,
  );
}
