import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { MAX_CACHEABLE_BYTES } from '../../src/cache/policy.ts';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

async function send(content: string, scenario?: string) {
  const res = await request(`${ctx.gw.gatewayUrl('sized')}/openai/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk',
      ...(scenario ? { 'x-mock-scenario': scenario } : {}),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  const bytes = (await res.body.arrayBuffer()).byteLength;
  return { status: res.statusCode, cache: res.headers['cf-aig-cache-status'], bytes };
}

describe('the 25 MiB bound on what is cached', () => {
  it('a response of exactly 25 MiB is cached; one byte more is not', async () => {
    await ctx.gw.gatehouse.app.gateways.create('local', 'sized', { ...DEFAULT_SETTINGS, cache_ttl: 300 });
    const at = `bytes=${MAX_CACHEABLE_BYTES}`;
    expect(await send('at the bound', at)).toMatchObject({ cache: 'MISS', bytes: MAX_CACHEABLE_BYTES });
    expect(await send('at the bound', at)).toMatchObject({ cache: 'HIT', bytes: MAX_CACHEABLE_BYTES });

    const over = `bytes=${MAX_CACHEABLE_BYTES + 1}`;
    expect(await send('over the bound', over)).toMatchObject({
      cache: 'MISS',
      bytes: MAX_CACHEABLE_BYTES + 1,
    });
    // Served whole every time, and from the provider every time.
    expect(await send('over the bound', over)).toMatchObject({
      cache: 'MISS',
      bytes: MAX_CACHEABLE_BYTES + 1,
    });
    expect(ctx.mock.requests).toHaveLength(3);
  });

  it('a request over 25 MiB is passed through without caching', async () => {
    const big = 'x'.repeat(MAX_CACHEABLE_BYTES);
    const first = await send(big);
    const second = await send(big);
    expect(first).toMatchObject({ status: 200, cache: undefined });
    expect(second).toMatchObject({ status: 200, cache: undefined });
    expect(ctx.mock.requests).toHaveLength(2);
  });
});
