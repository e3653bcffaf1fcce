import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

describe('live tail: ready', () => {
  it('says `ready` once it listens, so an entry written after it is never missed', async () => {
    const controller = new AbortController();
    const res = await fetch(`${ctx.gw.apiUrl}/gateways/default/logs/tail`, {
      headers: { authorization: `Bearer ${ctx.gw.adminToken}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const events: EventSourceMessage[] = [];
    let onEvent: () => void = () => undefined;
    const parser = createParser({
      onEvent: (e) => {
        events.push(e);
        onEvent();
      },
    });
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        onEvent = () => events.length >= n && resolve();
        onEvent();
      });
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        // aborted at the end of the test
      }
    })();

    await until(1);
    expect(events[0]).toMatchObject({ event: 'ready' });
    expect(JSON.parse(events[0]!.data)).toEqual({ ready: true, gateway: 'default' });

    const sent = await fetch(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await sent.text();
    await ctx.gw.flushLogs();
    await until(2);
    controller.abort();
    await reading;
    expect(events[1]).toMatchObject({ event: 'log' });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ id: sent.headers.get('cf-aig-log-id') });
  });
});
