import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';
import { spawnCli } from '../helpers/spawn.ts';

let gw: TestGateway;
let mock: MockUpstream;
beforeAll(async () => {
  ({ gw, mock } = await startWithMock());
  await gw.gatehouse.app.gateways.create('local', 'cached', { ...DEFAULT_SETTINGS, cache_ttl: 600 });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

async function cli(...args: string[]) {
  const p = spawnCli(['cache', ...args, '--url', gw.url, '--admin-token', gw.adminToken], {});
  const code = await p.exited;
  return { code, out: p.output() };
}

async function ask(content: string) {
  const res = await request(`${gw.gatewayUrl('cached')}/openai/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  await res.body.text();
  return { status: res.headers['cf-aig-cache-status'], logId: res.headers['cf-aig-log-id'] as string };
}

describe('gatehouse cache purge', () => {
  it('purges one entry by its key, then the rest of the gateway', async () => {
    const one = await ask('one');
    await ask('two');
    await gw.flushLogs();
    const key = (await gw.api('GET', `/gateways/cached/logs/${one.logId}`)).json.result.cache_key as string;

    const byKey = await cli('purge', '--gateway', 'cached', '--key', key);
    expect(byKey.code).toBe(0);
    expect(byKey.out).toContain('Purged 1 entry (the entry of gateway cached)');
    expect((await ask('one')).status).toBe('MISS');
    expect((await ask('two')).status).toBe('HIT');

    const byModel = await cli('purge', '--gateway', 'cached', '--model', 'some-other-model');
    expect(byModel.out).toContain('Purged 0 entries (the matching entries of gateway cached)');
    const all = await cli('purge', '--gateway', 'cached');
    expect(all.code).toBe(0);
    expect(all.out).toContain('Purged 2 entries (every entry of gateway cached)');
    expect((await ask('two')).status).toBe('MISS');
  });

  it('explains errors: no gateway, a malformed key, an unknown gateway', async () => {
    const none = await cli('purge');
    expect(none.code).toBe(1);
    expect(none.out).toContain('purge needs --gateway');
    const bad = await cli('purge', '--gateway', 'cached', '--key', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('64 lowercase hex digits');
    const unknown = await cli('purge', '--gateway', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('Gateway "nope" not found');
  });
});
