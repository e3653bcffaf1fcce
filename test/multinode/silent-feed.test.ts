import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type StallingProxy, startStallingProxy } from '../helpers/stalling-proxy.ts';
import { POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

/*
 * Node B reaches Postgres through a TCP proxy that can make its open connections silent for
 * good, as a network partition does once the server has given up on them: no error ever reaches
 * B, and its listening connection, which only reads, would wait forever.
 */
describe.skipIf(POSTGRES.skip)('a node whose database connections go silent', () => {
  let proxy: StallingProxy | undefined;
  const nodes = useTwoNodes({
    envB: async (shared) => {
      const url = new URL(shared['GATEHOUSE_DATABASE_URL']!);
      proxy = await startStallingProxy(Number(url.port), { postgres: true });
      url.port = String(proxy.port);
      return { GATEHOUSE_DATABASE_URL: url.toString(), GATEHOUSE_DATABASE_QUERY_TIMEOUT_MS: '1000' };
    },
    teardown: async () => proxy?.close(),
  });

  const chat = (node: TestGateway, headers: Record<string, string>) =>
    request(`${node.gatewayUrl('locked')}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }));

  async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('notices by its heartbeat, reconnects, and applies what it missed: a token revoked meanwhile stops working', async () => {
    const created = await nodes.a.api('POST', '/gateways', {
      id: 'locked',
      ...DEFAULT_SETTINGS,
      authentication: true,
    });
    expect(created.status).toBe(200);
    const token = await nodes.a.api('POST', '/tokens', { name: 'app', permissions: ['run'] });
    const auth = { 'cf-aig-authorization': `Bearer ${token.json.result.value}` };
    await eventually(async () => (await chat(nodes.b, auth)).status === 200, 3_000);

    proxy!.sever();
    expect((await nodes.a.api('DELETE', `/tokens/${token.json.result.id}`)).status).toBe(200);
    expect((await chat(nodes.a, auth)).status).toBe(401);
    // The NOTIFY went into the void. B's heartbeat (every 5 s, 5 s to answer) finds the connection
    // dead; B makes a new one and reloads its config.
    await eventually(async () => (await chat(nodes.b, auth)).status === 401, 25_000);
  }, 40_000);

  it('notices when its notifications stop arriving (a pooler in transaction mode) and still applies every change, by reloading', async () => {
    const token = await nodes.a.api('POST', '/tokens', { name: 'second', permissions: ['run'] });
    const auth = { 'cf-aig-authorization': `Bearer ${token.json.result.value}` };
    await eventually(async () => (await chat(nodes.b, auth)).status === 200, 5_000);

    proxy!.dropNotifications();
    expect((await nodes.a.api('DELETE', `/tokens/${token.json.result.id}`)).status).toBe(200);
    // B's heartbeat is answered but its notification never comes back: by the next one (5 s)
    // B reconnects and reloads, and keeps doing so while nothing arrives.
    await eventually(async () => (await chat(nodes.b, auth)).status === 401, 25_000);
  }, 40_000);
});
