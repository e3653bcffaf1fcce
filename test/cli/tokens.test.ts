import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import { spawnCli } from '../helpers/spawn.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGatehouse();
  await gw.gatehouse.app.gateways.create('local', 'locked', { ...DEFAULT_SETTINGS, authentication: true });
});
afterAll(() => gw?.close());

async function cli(...args: string[]) {
  const p = spawnCli(['tokens', ...args, '--url', gw.url, '--admin-token', gw.adminToken], {});
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('gatehouse tokens', () => {
  it('creates a token whose value works on an authenticated gateway, lists it, revokes it', async () => {
    const created = await cli('create', '--name', 'ci-bot', '--permission', 'run', '--gateway', 'locked');
    expect(created.code).toBe(0);
    const value = created.out.match(/ghk_[\w-]+/)![0];
    const id = created.out.match(/Created token (\w+)/)![1]!;
    expect(created.out).toContain('not shown again');

    const call = () =>
      fetch(`${gw.gatewayUrl('locked')}/openai/models`, {
        headers: { 'cf-aig-authorization': `Bearer ${value}` },
      });
    // No upstream is configured, so a 502 proves the token got through authentication.
    expect((await call()).status).not.toBe(401);

    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${id}\\s+ci-bot\\s+run\\s+locked\\s+ghk_`));
    expect(listed.out).not.toContain(value);

    expect((await cli('revoke', id)).code).toBe(0);
    expect((await call()).status).toBe(401);
  });

  it('explains errors: missing options, unknown ids, a gateway that is not running', async () => {
    const missing = await cli('create', '--name', 'x');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('at least one --permission');
    const unknown = await cli('revoke', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('Token "nope" not found');
    const down = spawnCli(['tokens', 'list', '--url', 'http://127.0.0.1:1', '--admin-token', 'x'], {});
    expect(await down.exited).toBe(1);
    expect(down.output()).toContain('cannot reach the gateway');
  });
});
