import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts';
import { SHARED_SECRET_KEY } from '../helpers/databases.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { POSTGRES_AVAILABLE, type PostgresServer, startPostgres } from '../helpers/postgres-server.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

describe('the database is unavailable', () => {
  it('tells an unavailable database from a refused query', () => {
    const codes = ['ECONNREFUSED', '08006', '57P01', '53300'];
    for (const code of codes) expect(isDatabaseUnavailable({ code, message: 'x' }), code).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(
      isDatabaseUnavailable({ code: 'ERR_SQLITE_ERROR', errcode: 5, message: 'database is locked' }),
    ).toBe(true);
    for (const code of ['23505', '42P01', 'ERR_SQLITE_ERROR', undefined])
      expect(isDatabaseUnavailable({ code, message: 'no such table' }), String(code)).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  describe.skipIf(!POSTGRES_AVAILABLE && !process.env['CI'])('Postgres goes down', () => {
    let pg: PostgresServer;
    let gw: TestGateway;
    let mock: MockUpstream;
    afterAll(async () => {
      await gw?.close();
      await mock?.close();
      await pg?.stop();
    });

    it('the management API answers 503 saying so; the data plane keeps answering', async () => {
      pg = (await startPostgres())!;
      ({ gw, mock } = await startWithMock({
        GATEHOUSE_DATABASE_URL: await pg.createDatabase(),
        GATEHOUSE_SECRET_KEY: SHARED_SECRET_KEY,
      }));
      expect((await gw.api('GET', '/gateways/default/logs')).status).toBe(200);
      await pg.stop();

      const logs = await gw.api('GET', '/gateways/default/logs');
      expect(logs.status).toBe(503);
      expect(logs.json).toMatchObject({ success: false, result: null, errors: [{ code: 7000 }] });
      expect(logs.json.errors[0].message).toMatch(/^The database is unavailable \(.+\); try again shortly$/);

      const res = await request(`${gw.gatewayUrl()}/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
    });
  });
});
