import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/**
 * Runs the real CLI (`node src/cli/main.ts …`) as a separate process. `fileSizeLimitKiB` starts it
 * under that soft limit on the size of any file it writes (`ulimit -S -f`): past it, a write fails
 * with EFBIG as on a full disk, and `prlimit --pid` can lift it while it runs.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
  opts: { fileSizeLimitKiB?: number } = {},
): Spawned {
  const argv = [join(ROOT, 'src/cli/main.ts'), ...args];
  const [command, commandArgs] =
    opts.fileSizeLimitKiB === undefined
      ? [NODE, argv]
      : // exec: the child's pid is node's, so signals and prlimit reach it.
        ['bash', ['-c', `ulimit -S -f ${opts.fileSizeLimitKiB} && exec "$0" "$@"`, NODE, ...argv]];
  const child = spawn(command, commandArgs, {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)),
          timeoutMs,
        );
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A chat completion through a gateway started with spawnCli (the mock behind `openai`): its log id. */
export async function chatLogId(base: string, gateway = 'default'): Promise<string> {
  const res = await fetch(`${base}/v1/local/${gateway}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`the gateway answered ${res.status}`);
  return res.headers.get('cf-aig-log-id')!;
}
