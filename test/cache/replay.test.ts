import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/cache/replay.ts';
import type { CachedResponse } from '../../src/cache/types.ts';
import { chatDialect, compatTransform } from '../../src/compat/body-transform.ts';
import { anthropicTarget } from '../../src/compat/targets/anthropic.ts';

/** Serves one stored entry with `replay`, through a /compat transform, and returns what a client gets. */
async function replayed(entry: CachedResponse) {
  const server = createServer((_req, res) => {
    const transform = compatTransform(
      anthropicTarget,
      { id: 'chatcmpl-t', created: 1, model: 'anthropic/claude', includeUsage: false },
      chatDialect,
    );
    replay(res, entry, { 'cf-aig-log-id': 'x' }, transform);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const entry = (body: string): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(body),
  frames: null,
  provider: 'anthropic',
  model: 'claude',
  tokensIn: null,
  tokensOut: null,
  storedAt: 0,
});

describe('a /compat cache hit', () => {
  it('answers 502 when the stored answer cannot be rewritten, its head sent only at the end', async () => {
    const hit = await replayed(entry('<html>not json</html>'));
    expect(hit.status).toBe(502);
    expect(hit.headers['cf-aig-cache-status']).toBe('HIT');
    expect(JSON.parse(hit.body).error.message).toContain('answered a body that is not JSON');
  });

  it('answers the rewritten completion otherwise', async () => {
    const hit = await replayed(
      entry(
        '{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}',
      ),
    );
    expect(hit.status).toBe(200);
    expect(JSON.parse(hit.body).choices[0].message.content).toBe('Hi');
  });
});
