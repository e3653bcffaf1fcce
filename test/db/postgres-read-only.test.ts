import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';
import { POSTGRES } from '../helpers/two-nodes.ts';

/*
 * A failover that demotes the primary leaves clients connected to a read-only standby until they
 * reconnect: every write is refused with SQLSTATE 25006. That is the database being unavailable
 * for writes, a 503 to retry, not a bug of ours (a 500).
 */
describe.skipIf(POSTGRES.skip)('a Postgres that has become read-only', () => {
  const env: Record<string, string> = {};
  beforeAll(async () => {
    Object.assign(env, await POSTGRES.env());
  });
  const ctx = useGatewayWithMock(env);
  const gateway = (id: string) => ({ id, ...DEFAULT_SETTINGS });

  it('a write through the management API is a 503 naming why; reads go on; writes work once it is writable again', async () => {
    const admin = new pg.Client({ connectionString: env['GATEHOUSE_DATABASE_URL'] });
    await admin.connect();
    const database = (await admin.query('SELECT current_database() AS d')).rows[0].d as string;
    const setReadOnly = async (on: boolean) => {
      await admin.query(
        `ALTER DATABASE "${database}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`,
      );
      // The gateway's sessions started before; end them so its next ones start read-only (or not).
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
    };
    try {
      await setReadOnly(true);
      let created = await ctx.gw.api('POST', '/gateways', gateway('during-failover'));
      for (let i = 0; i < 5 && created.status !== 503; i++) {
        // A connection the termination had not reached yet may answer first; the pool replaces it.
        created = await ctx.gw.api('POST', '/gateways', gateway('during-failover'));
      }
      expect(created.status).toBe(503);
      expect(created.json.errors[0].message).toMatch(
        /^The database is unavailable \(cannot execute INSERT in a read-only transaction\); try again shortly$/,
      );
      expect((await ctx.gw.api('GET', '/gateways/default/logs')).status).toBe(200);
    } finally {
      await setReadOnly(false);
      await admin.end();
    }
    let again = await ctx.gw.api('POST', '/gateways', gateway('after-failover'));
    for (let i = 0; i < 5 && again.status !== 200; i++)
      again = await ctx.gw.api('POST', '/gateways', gateway('after-failover'));
    expect(again.status).toBe(200);
  });
});
