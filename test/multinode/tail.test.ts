import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { openTail } from '../helpers/tail-client.ts';
import { cutListeningConnections, POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

describe.skipIf(POSTGRES.skip)('live tail across two nodes sharing one Postgres', () => {
  const nodes = useTwoNodes();

  async function chat(node: TestGateway, model: string) {
    const res = await request(`${node.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
    });
    await res.body.text();
    return res.headers['cf-aig-log-id'] as string;
  }

  it('a tail open on one node shows every node’s entries, filtered, each once', async () => {
    const tail = await openTail(nodes.a, 'default', [{ key: 'model', operator: 'eq', value: ['gpt-4o'] }]);
    await tail.ready;

    const fromB = [await chat(nodes.b, 'gpt-4o'), await chat(nodes.b, 'gpt-4o')];
    await chat(nodes.b, 'gpt-4o-mini');
    const fromA = await chat(nodes.a, 'gpt-4o');
    await Promise.all([nodes.a.flushLogs(), nodes.b.flushLogs()]);
    const expected = [...fromB, fromA].sort();
    await tail.until(expected.length);
    await new Promise((r) => setTimeout(r, 200)); // time for a duplicate to show up, if any would
    await tail.close();
    const { seen } = tail;
    expect(seen.map((s) => s['id']).sort()).toEqual(expected);
    const remote = seen.find((s) => s['id'] === fromB[0])!;
    expect(remote).toMatchObject({ provider: 'openai', model: 'gpt-4o', success: true, cached: false });
    expect(remote['tokens_in']).toBeGreaterThan(0);
  });

  it('entries stored while a node was not listening reach its tail once it listens again, each once', async () => {
    const tail = await openTail(nodes.a, 'default', [{ key: 'model', operator: 'eq', value: ['gpt-4.1'] }]);
    await tail.ready;
    const before = await chat(nodes.b, 'gpt-4.1');
    await nodes.b.flushLogs();
    await tail.until(1);

    // Both nodes lose their listening connection, as in a Postgres failover.
    expect(await cutListeningConnections(nodes.databaseUrl)).toBe(2);
    // Stored and announced at once, while node A waits to reconnect: A never gets the announcement.
    const during = [await chat(nodes.b, 'gpt-4.1'), await chat(nodes.b, 'gpt-4.1')];
    const own = await chat(nodes.a, 'gpt-4.1');
    await Promise.all([nodes.a.flushLogs(), nodes.b.flushLogs()]);
    await tail.until(4);
    const after = await chat(nodes.b, 'gpt-4.1');
    await nodes.b.flushLogs();
    await tail.until(5);
    await new Promise((r) => setTimeout(r, 200)); // time for a duplicate to show up, if any would
    await tail.close();
    expect(tail.seen.map((s) => s['id']).sort()).toEqual([before, ...during, own, after].sort());
  });
});
