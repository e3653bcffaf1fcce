import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { POSTGRES, useTwoNodes } from '../helpers/two-nodes.ts';

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
    const controller = new AbortController();
    const filters = encodeURIComponent(JSON.stringify([{ key: 'model', operator: 'eq', value: ['gpt-4o'] }]));
    const res = await fetch(`${nodes.a.apiUrl}/gateways/default/logs/tail?filters=${filters}`, {
      headers: { authorization: `Bearer ${nodes.a.adminToken}` },
      signal: controller.signal,
    });
    const seen: Array<Record<string, unknown>> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    const parser = createParser({
      onEvent: (e) => {
        if (e.event === 'ready') ready();
        if (e.event === 'log') seen.push(JSON.parse(e.data));
      },
    });
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk));
      } catch {
        // aborted at the end of the test
      }
    })();
    await isReady;

    const fromB = [await chat(nodes.b, 'gpt-4o'), await chat(nodes.b, 'gpt-4o')];
    await chat(nodes.b, 'gpt-4o-mini');
    const fromA = await chat(nodes.a, 'gpt-4o');
    await Promise.all([nodes.a.flushLogs(), nodes.b.flushLogs()]);
    const expected = [...fromB, fromA].sort();
    const deadline = Date.now() + 5000;
    while (seen.length < expected.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // time for a duplicate to show up, if any would
    controller.abort();
    await reading;

    expect(seen.map((s) => s['id']).sort()).toEqual(expected);
    const remote = seen.find((s) => s['id'] === fromB[0])!;
    expect(remote).toMatchObject({ provider: 'openai', model: 'gpt-4o', success: true, cached: false });
    expect(remote['tokens_in']).toBeGreaterThan(0);
  });
});
