import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createGatehouse, type Gatehouse } from '../../src/server/app.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestGateway {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** `${url}/v1/local/{gateway}` — append `/{provider}/…`. */
  gatewayUrl(gateway?: string): string;
  /** `${url}/client/v4/accounts/local/ai-gateway` */
  apiUrl: string;
  adminToken: string;
  dataDir: string;
  gatehouse: Gatehouse;
  /** Calls the management API with the admin token; returns status and parsed JSON. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }>;
  /** Waits until queued log rows are stored. */
  flushLogs(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the real gateway on an ephemeral port with a fresh data dir. `env` is applied on top of
 * the test defaults, exactly as the process environment would be (GATEHOUSE_UPSTREAM_* etc).
 */
export async function startGatehouse(
  env: Record<string, string> = {},
  opts: { dataDir?: string; log?: (level: string, message: string) => void } = {},
): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const { config } = loadConfig(
    {
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEHOUSE_LOG_FLUSH_MS: '50',
      GATEHOUSE_SHUTDOWN_GRACE_MS: '2000',
      ...env,
    },
    dataDir,
  );
  const gatehouse = await createGatehouse(config, { log: opts.log ?? (() => undefined) });
  const address = await gatehouse.listen();
  const url = `http://127.0.0.1:${address.port}`;
  const apiUrl = `${url}/client/v4/accounts/${config.accountId}/ai-gateway`;
  let closed = false;
  return {
    url,
    apiUrl,
    adminToken: gatehouse.adminToken.value,
    dataDir,
    gatehouse,
    gatewayUrl: (gateway = 'default') => `${url}/v1/${config.accountId}/${gateway}`,
    async api(method, path, body, token = gatehouse.adminToken.value) {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    flushLogs: () => gatehouse.app.logs.flush(),
    async close() {
      if (closed) return;
      closed = true;
      await gatehouse.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
