import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

/** Polls until `check` holds: the other node learns of a change through LISTEN/NOTIFY, not instantly. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the other node did not see the change in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(POSTGRES.skip)('two nodes sharing one Postgres', () => {
  const nodes = useTwoNodes();

  const chat = (node: TestGateway, gateway: string, headers: Record<string, string>) =>
    request(`${node.gatewayUrl(gateway)}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }));

  it('a gateway, a token and a stored key created through one node are used by the other at once', async () => {
    const created = await nodes.a.api('POST', '/gateways', {
      id: 'shared',
      cache_ttl: 0,
      cache_invalidate_on_update: false,
      collect_logs: true,
      rate_limiting_interval: 0,
      rate_limiting_limit: 0,
      authentication: true,
    });
    expect(created.status).toBe(200);
    const token = await nodes.a.api('POST', '/tokens', { name: 'app', permissions: ['run'] });
    expect(token.status).toBe(200);
    const key = await nodes.a.api('POST', '/gateways/shared/provider_configs', {
      provider_slug: 'openai',
      secret: 'sk-shared-stored-key-0123456789',
    });
    expect(key.status).toBe(200);

    const auth = { 'cf-aig-authorization': `Bearer ${token.json.result.value}` };
    await eventually(async () => {
      const r = await chat(nodes.b, 'shared', auth);
      return (
        r.status === 200 &&
        nodes.mock.requests.at(-1)!.headers['authorization'] === 'Bearer sk-shared-stored-key-0123456789'
      );
    });

    // Rotation through B reaches A.
    const rotated = await nodes.b.api('PATCH', `/gateways/shared/provider_configs/${key.json.result.id}`, {
      secret: 'sk-shared-rotated-9876543210',
    });
    expect(rotated.status).toBe(200);
    await eventually(async () => {
      await chat(nodes.a, 'shared', auth);
      return nodes.mock.requests.at(-1)!.headers['authorization'] === 'Bearer sk-shared-rotated-9876543210';
    });

    // Revoking the token through A locks it out of B.
    expect((await nodes.a.api('DELETE', `/tokens/${token.json.result.id}`)).status).toBe(200);
    await eventually(async () => (await chat(nodes.b, 'shared', auth)).status === 401);
  });

  it('logs written by either node are read through both', async () => {
    const r = await chat(nodes.b, 'default', { authorization: 'Bearer sk' });
    expect(r.status).toBe(200);
    await nodes.b.flushLogs();
    const list = await nodes.a.api('GET', '/gateways/default/logs?per_page=50');
    expect(list.json.result.length).toBeGreaterThan(0);
  });
});
