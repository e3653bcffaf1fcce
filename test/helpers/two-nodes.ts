import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { FEED_APPLICATION_NAME } from '../../src/db/change-feed.ts';
import { DATABASES } from './databases.ts';
import { startGatehouse, type TestGateway } from './gatehouse.ts';
import { type MockUpstream, startWithMock } from './setup.ts';

export const POSTGRES = DATABASES.find((d) => d.name === 'postgres')!;

export interface TwoNodes {
  a: TestGateway;
  b: TestGateway;
  mock: MockUpstream;
  /** The shared database, for a test that acts on it directly. */
  databaseUrl: string;
}

/**
 * Registers hooks that start two gateway nodes on one fresh Postgres database, sharing one mock
 * upstream, and stop them after the file. `env` adds settings for both (a Redis, say), and
 * `teardown` stops what it started. Read `nodes.a` / `nodes.b` / `nodes.mock` inside tests.
 */
export function useTwoNodes(
  opts: {
    env?: () => Promise<Record<string, string>>;
    /** Settings for node B alone, given the shared ones (B reaching Postgres another way, say). */
    envB?: (shared: Record<string, string>) => Promise<Record<string, string>>;
    teardown?: () => Promise<void>;
  } = {},
): TwoNodes {
  const nodes = {} as TwoNodes;
  beforeAll(async () => {
    const env = { ...(await POSTGRES.env()), ...(await opts.env?.()) };
    nodes.databaseUrl = env['GATEHOUSE_DATABASE_URL']!;
    const { gw, mock } = await startWithMock(env);
    nodes.a = gw;
    nodes.mock = mock;
    nodes.b = await startGatehouse({
      ...env,
      ...(await opts.envB?.(env)),
      GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    });
  });
  afterAll(async () => {
    await nodes.a?.close();
    await nodes.b?.close();
    await nodes.mock?.close();
    await opts.teardown?.();
  });
  return nodes;
}

/**
 * Terminates every node's listening connection (config changes, log batches, purges), as a
 * Postgres failover does; returns how many there were. The nodes reconnect by themselves.
 */
export async function cutListeningConnections(databaseUrl: string): Promise<number> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const cut = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [FEED_APPLICATION_NAME],
    );
    return cut.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}
