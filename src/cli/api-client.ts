import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Admin commands talk to the running gateway's management API, never to its database, so the
 * server's in-memory state is always the truth.
 */
export interface ApiClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: ApiEnvelope }>;
  /** A GET whose answer is read as it arrives (the live tail); errors come back as CliErrors. */
  stream(path: string): Promise<Response>;
}

export interface ApiEnvelope {
  success: boolean;
  errors?: Array<{ code: number; message: string }>;
  result?: unknown;
}

export class CliError extends Error {}

/** No answer at all from the gateway's address (not running, restarting, network down). */
export class GatewayUnreachable extends CliError {}

/** The options every command that talks to a running gateway takes (for `parseArgs`). */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  'admin-token': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function apiClient(
  flags: { url?: string | undefined; adminToken?: string | undefined },
  env = process.env,
): ApiClient {
  const host = env['GATEHOUSE_HOST'] || '127.0.0.1';
  const base = (
    flags.url ??
    env['GATEHOUSE_URL'] ??
    `http://${host}:${env['GATEHOUSE_PORT'] || '8787'}`
  ).replace(/\/$/, '');
  const account = env['GATEHOUSE_ACCOUNT_ID'] || 'local';
  const token = flags.adminToken ?? env['GATEHOUSE_ADMIN_TOKEN'] ?? readTokenFile(env);
  return {
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}/client/v4/accounts/${account}/ai-gateway${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        throw new CliError(
          `cannot reach the gateway at ${base}; is it running? (set --url or GATEHOUSE_URL)`,
        );
      }
      const json = (await res.json().catch(() => ({ success: false }))) as ApiEnvelope;
      if (!json.success) {
        const message = json.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`;
        throw new CliError(message);
      }
      return { status: res.status, json };
    },
    async stream(path) {
      let res: Response;
      try {
        res = await fetch(`${base}/client/v4/accounts/${account}/ai-gateway${path}`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        });
      } catch {
        throw new GatewayUnreachable(
          `cannot reach the gateway at ${base}; is it running? (set --url or GATEHOUSE_URL)`,
        );
      }
      if (!res.ok || !res.body) {
        const json = (await res.json().catch(() => ({ success: false }))) as ApiEnvelope;
        throw new CliError(json.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
      }
      return res;
    },
  };
}

function readTokenFile(env: NodeJS.ProcessEnv): string {
  const file = join(resolve(env['GATEHOUSE_DATA_DIR'] || './.gatehouse'), 'admin-token');
  if (!existsSync(file)) {
    throw new CliError(
      `no admin token: pass --admin-token, set GATEHOUSE_ADMIN_TOKEN, or run where ${file} exists`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

/** Runs a command body, turning CliErrors into a message and exit code 1. */
export async function runCli(fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (err) {
    if (err instanceof CliError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`gatehouse: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}
