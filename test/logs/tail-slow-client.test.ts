import { connect } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

// A small bound, so that a test can outrun it; the kernel's socket buffers take a few MB first.
const ctx = useGatewayWithMock({ GATEHOUSE_LOG_TAIL_BUFFER_BYTES: '65536' });

async function chatWithBigMetadata(i: number): Promise<void> {
  const metadata = Object.fromEntries(
    Array.from({ length: 5 }, (_, k) => [`k${k}`, `${i}-${'x'.repeat(2400)}`]),
  );
  const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk',
      'cf-aig-metadata': JSON.stringify(metadata),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  expect(res.statusCode).toBe(200);
  await res.body.text();
}

describe('live tail and a client that stops reading', () => {
  it('closes the stream once the client is logs.tail_buffer_bytes behind, and keeps serving', async () => {
    const api = new URL(ctx.gw.apiUrl);
    const socket = connect(Number(api.port), api.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET ${api.pathname}/gateways/default/logs/tail HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${ctx.gw.adminToken}\r\n\r\n`,
    );
    let received = 0;
    let ended = false;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('close', () => {
      ended = true;
    });
    // Let the head and the `ready` event arrive, then stop reading.
    await new Promise((r) => setTimeout(r, 200));
    socket.pause();

    // ~12 KB of metadata a request: 800 of them write ~10 MB of events, past the kernel's buffers.
    for (let i = 0; i < 800; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => chatWithBigMetadata(i + k)));
    }
    await ctx.gw.flushLogs();

    socket.resume();
    const deadline = Date.now() + 10_000;
    while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(true);
    expect(received).toBeLessThan(800 * 12_000);

    const health = await request(`${ctx.gw.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.text();
  }, 60_000);
});
