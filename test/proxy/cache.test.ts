import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { CACHE_STORES } from '../helpers/cache-stores.ts';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

const body = (content = 'Hello') =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

for (const store of CACHE_STORES) {
  describe.skipIf(store.skip)(`response caching (${store.name} store)`, () => {
    let gw: TestGateway;
    let mock: MockUpstream;
    let teardown: () => Promise<void> = async () => undefined;
    let env: Record<string, string> = {};

    beforeAll(async () => {
      const started = await store.setup();
      teardown = started.teardown;
      env = started.env;
      ({ gw, mock } = await startWithMock(started.env));
      const gws = gw.gatehouse.app.gateways;
      await gws.create('local', 'cached', { ...DEFAULT_SETTINGS, cache_ttl: 300 });
      await gws.create('local', 'volatile', {
        ...DEFAULT_SETTINGS,
        cache_ttl: 300,
        cache_invalidate_on_update: true,
      });
    });
    afterAll(async () => {
      await gw?.close();
      await mock?.close();
      await teardown();
    });
    beforeEach(async () => {
      mock.reset();
      for (const id of ['cached', 'default', 'volatile']) await gw.api('DELETE', `/gateways/${id}/cache`);
    });

    async function send(
      gateway: string,
      init: { headers?: Record<string, string>; body?: string; path?: string } = {},
    ) {
      const res = await request(`${gw.gatewayUrl(gateway)}/${init.path ?? 'openai/chat/completions'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-one', ...init.headers },
        body: init.body ?? body(),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    }

    it('MISS then HIT: the second identical request never reaches the upstream and gets the same bytes', async () => {
      const a = await send('cached');
      const b = await send('cached');
      expect(a.headers['cf-aig-cache-status']).toBe('MISS');
      expect(b.headers['cf-aig-cache-status']).toBe('HIT');
      expect(b.text).toBe(a.text);
      expect(b.headers['content-type']).toBe(a.headers['content-type']);
      expect(mock.requests).toHaveLength(1);
      expect(b.headers['cf-aig-log-id']).not.toBe(a.headers['cf-aig-log-id']);
      await gw.flushLogs();
      const hit = await gw.api('GET', `/gateways/cached/logs/${b.headers['cf-aig-log-id']}`);
      expect(hit.json.result).toMatchObject({
        cached: true,
        success: true,
        status_code: 200,
        model: 'gpt-4o-mini',
        tokens_in: 19,
      });
      const miss = await gw.api('GET', `/gateways/cached/logs/${a.headers['cf-aig-log-id']}`);
      expect(miss.json.result.cached).toBe(false);
    });

    it('no caching and no cache header on a gateway without a TTL', async () => {
      const a = await send('default');
      const b = await send('default');
      expect(a.headers['cf-aig-cache-status']).toBeUndefined();
      expect(b.headers['cf-aig-cache-status']).toBeUndefined();
      expect(mock.requests).toHaveLength(2);
    });

    it('two callers with different provider keys never share an entry', async () => {
      await send('cached', { headers: { authorization: 'Bearer sk-one' } });
      const other = await send('cached', { headers: { authorization: 'Bearer sk-two' } });
      expect(other.headers['cf-aig-cache-status']).toBe('MISS');
      expect(mock.requests).toHaveLength(2);
    });

    it('cf-aig-metadata and other non-credential headers are not part of the key; the body is', async () => {
      await send('cached', { headers: { 'cf-aig-metadata': '{"user":"a"}' } });
      const same = await send('cached', { headers: { 'cf-aig-metadata': '{"user":"b"}', 'x-other': '1' } });
      expect(same.headers['cf-aig-cache-status']).toBe('HIT');
      const different = await send('cached', { body: body('Bye') });
      expect(different.headers['cf-aig-cache-status']).toBe('MISS');
    });

    it('cf-aig-cache-key replaces the key', async () => {
      await send('cached', { headers: { 'cf-aig-cache-key': 'faq-42' }, body: body('one') });
      const r = await send('cached', {
        headers: { 'cf-aig-cache-key': 'faq-42', authorization: 'Bearer sk-x' },
        body: body('two'),
      });
      expect(r.headers['cf-aig-cache-status']).toBe('HIT');
      expect(mock.requests).toHaveLength(1);
    });

    it('cf-aig-cache-ttl turns caching on for one request and sets the TTL; skip-cache bypasses both ways', async () => {
      const ttls: number[] = [];
      const store = gw.gatehouse.app.cache;
      const set = store.set.bind(store);
      store.set = (scope, key, entry, ttl) => {
        ttls.push(ttl);
        return set(scope, key, entry, ttl);
      };
      try {
        const a = await send('default', { headers: { 'cf-aig-cache-ttl': '3600' } });
        expect(a.headers['cf-aig-cache-status']).toBe('MISS');
        const b = await send('default', { headers: { 'cf-aig-cache-ttl': '3600' } });
        expect(b.headers['cf-aig-cache-status']).toBe('HIT');
        expect(ttls).toEqual([3600]);
        const skipped = await send('default', {
          headers: { 'cf-aig-cache-ttl': '3600', 'cf-aig-skip-cache': 'true' },
        });
        expect(skipped.headers['cf-aig-cache-status']).toBeUndefined();
        expect(mock.requests).toHaveLength(2);
        const legacy = await send('cached', { headers: { 'cf-skip-cache': 'true' } });
        expect(legacy.headers['cf-aig-cache-status']).toBeUndefined();
        expect(ttls).toEqual([3600]);
      } finally {
        store.set = set;
      }
    });

    it('rejects a TTL outside 60 s to one month, naming the range', async () => {
      for (const v of ['59', '2592001', '-1', 'soon']) {
        const r = await send('cached', { headers: { 'cf-aig-cache-ttl': v } });
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).message).toContain('from 60 to 2592000');
      }
    });

    it('never caches errors, 429s, an error inside a 200 stream, or a stream cut off', async () => {
      const stream = JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 's' }],
      });
      for (const scenario of ['status=500', 'status=429;retry-after=1', 'status=400']) {
        await send('cached', { headers: { 'x-mock-scenario': scenario } });
        const again = await send('cached');
        expect(again.headers['cf-aig-cache-status'], scenario).toBe('MISS');
        await gw.api('DELETE', '/gateways/cached/cache');
      }
      await send('cached', { body: stream, headers: { 'x-mock-scenario': 'stream-error' } });
      expect((await send('cached', { body: stream })).headers['cf-aig-cache-status']).toBe('MISS');
      // The connection is cut halfway (its 200 status came first): the client sees an error.
      const cutOff = async (payload: string) => {
        await gw.api('DELETE', '/gateways/cached/cache');
        await send('cached', { body: payload, headers: { 'x-mock-scenario': 'cut-mid-stream' } }).catch(
          () => undefined,
        );
      };
      await cutOff(stream);
      expect((await send('cached', { body: stream })).headers['cf-aig-cache-status']).toBe('MISS');
      await cutOff(body()); // a JSON answer
      expect((await send('cached')).headers['cf-aig-cache-status']).toBe('MISS');
    });

    it('replays a cached stream that the openai and anthropic SDKs consume normally', async () => {
      const openai = new OpenAI({
        apiKey: 'sk-one',
        baseURL: `${gw.gatewayUrl('cached')}/openai`,
        maxRetries: 0,
      });
      const read = async () => {
        const s = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'stream me' }],
          stream: true,
          stream_options: { include_usage: true },
        });
        let text = '';
        let usage = 0;
        for await (const c of s) {
          text += c.choices[0]?.delta.content ?? '';
          usage = c.usage?.total_tokens ?? usage;
        }
        return { text, usage };
      };
      const first = await read();
      const second = await read();
      expect(second).toEqual(first);
      expect(first.text.length).toBeGreaterThan(0);
      expect(mock.requests).toHaveLength(1);

      const anthropic = new Anthropic({
        apiKey: 'sk-ant',
        baseURL: `${gw.gatewayUrl('cached')}/anthropic`,
        maxRetries: 0,
      });
      const msg = () =>
        anthropic.messages
          .stream({ model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
          .finalMessage();
      const m1 = await msg();
      const m2 = await msg();
      expect(m2.content).toEqual(m1.content);
      expect(m2.usage.output_tokens).toBe(m1.usage.output_tokens);
      expect(mock.requests).toHaveLength(2);
    });

    it('replays a cached stream as the bytes it recorded, sent chunked in one write', async () => {
      const streamed = JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'one write' }],
        stream: true,
      });
      const miss = await rawChunks(`${gw.gatewayUrl('cached')}/openai/chat/completions`, streamed);
      const hit = await rawChunks(`${gw.gatewayUrl('cached')}/openai/chat/completions`, streamed);
      expect(miss.head).toMatch(/cf-aig-cache-status: MISS/i);
      expect(hit.head).toMatch(/cf-aig-cache-status: HIT/i);
      expect(hit.head).toMatch(/transfer-encoding: chunked/i);
      expect(miss.chunks.length).toBeGreaterThan(1);
      // Frame by frame, a long answer cost a syscall or a queued write per frame.
      expect(hit.chunks).toHaveLength(1);
      expect(Buffer.concat(hit.chunks).toString()).toBe(Buffer.concat(miss.chunks).toString());
      expect(mock.requests).toHaveLength(1);
    });

    it('caches a large answer whole, compressed where it compresses; in the SQLite store a large one that does not lives in a file', async () => {
      // Binary answers: compared as bytes, not as text.
      const bytes = async (scenario: string) => {
        const res = await request(`${gw.gatewayUrl('cached')}/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk-one',
            'x-mock-scenario': scenario,
          },
          body: body(scenario),
        });
        const answer = Buffer.from(await res.body.arrayBuffer());
        return { status: res.statusCode, cache: res.headers['cf-aig-cache-status'], body: answer };
      };
      for (const scenario of ['noise=300000', 'bytes=300000']) {
        const a = await bytes(scenario);
        const b = await bytes(scenario);
        expect([a.status, a.cache, b.cache]).toEqual([200, 'MISS', 'HIT']);
        expect(b.body.length).toBe(300_000);
        expect(b.body.equals(a.body)).toBe(true);
      }
      expect(mock.requests).toHaveLength(2);
      const dir = join(gw.dataDir, 'cache-entries');
      const files = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.entry')) : []);
      // Written in the background: the hit above was answered from memory if it came first. The
      // noise takes a file; the pattern (its bytes repeat every 256) compresses into its row.
      if (store.name === 'sqlite') await vi.waitFor(() => expect(files()).toHaveLength(1));
      else expect(files()).toEqual([]);
      if (store.name === 'redis') {
        // Redis holds the pattern compressed, the noise as it is; the hits above were them, restored.
        const redis = new Redis(env['GATEHOUSE_REDIS_URL']!);
        try {
          const keys = await redis.keys('gatehouse:cache:local:cached:*');
          const sizes = (await Promise.all(keys.map((k) => redis.strlen(k)))).sort((x, y) => x - y);
          expect(sizes).toHaveLength(2);
          expect(sizes[0]).toBeLessThan(30_000);
          expect(sizes[1]).toBeGreaterThan(300_000);
        } finally {
          redis.disconnect();
        }
      }
      await gw.api('DELETE', '/gateways/cached/cache');
      if (store.name === 'sqlite') await vi.waitFor(() => expect(files()).toEqual([]));
    });

    it('ten concurrent identical requests reach the upstream once', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          send('cached', { headers: { 'x-mock-scenario': 'slow-first-byte=200' } }),
        ),
      );
      expect(mock.requests).toHaveLength(1);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      const statuses = results.map((r) => r.headers['cf-aig-cache-status']);
      expect(statuses.filter((s) => s === 'MISS')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'HIT')).toHaveLength(9);
    });

    it('when the leader fails, waiters make their own calls', async () => {
      mock.enqueue('status=500;slow-first-byte=150');
      const results = await Promise.all(Array.from({ length: 3 }, () => send('cached')));
      expect(results.filter((r) => r.status === 500)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(2);
      expect(mock.requests.length).toBeGreaterThanOrEqual(2);
    });

    it('purges all of a gateway, or by provider and model', async () => {
      await send('cached');
      await send('cached', {
        path: 'anthropic/v1/messages',
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }),
      });
      const byModel = await gw.api('DELETE', '/gateways/cached/cache?provider=openai&model=gpt-4o-mini');
      expect(byModel.json.result.purged).toBe(1);
      expect((await send('cached')).headers['cf-aig-cache-status']).toBe('MISS');
      // A misspelt filter is refused rather than read as "purge everything".
      const typo = await gw.api('DELETE', '/gateways/cached/cache?modle=gpt-4o-mini');
      expect(typo.status).toBe(400);
      expect(typo.json.errors[0].message).toMatch(
        /DELETE \/cache takes provider and model, or key; got "modle"/,
      );
      expect((await send('cached')).headers['cf-aig-cache-status']).toBe('HIT');
      const all = await gw.api('DELETE', '/gateways/cached/cache');
      expect(all.json.result.purged).toBe(2);
      expect((await gw.api('DELETE', '/gateways/nope/cache')).status).toBe(404);
    });

    it('purges the one entry a log’s cache_key names', async () => {
      const first = await send('cached', { body: body('one') });
      await send('cached', { body: body('two') });
      expect((await send('cached', { body: body('one') })).headers['cf-aig-cache-status']).toBe('HIT');
      await gw.flushLogs();
      const log = await gw.api('GET', `/gateways/cached/logs/${first.headers['cf-aig-log-id']}`);
      const key = log.json.result.cache_key as string;
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      // What the entry holds and until when (the gateway's TTL is 300 s).
      const shown = await gw.api('GET', `/gateways/cached/cache/${key}`);
      expect(shown.status, JSON.stringify(shown.json)).toBe(200);
      expect(shown.json.result).toMatchObject({
        key,
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 200,
        content_type: 'application/json',
        stream: false,
      });
      expect(shown.json.result.size).toBeGreaterThan(0);
      expect(shown.json.result.tokens_in).toBeGreaterThan(0);
      const stored = Date.parse(shown.json.result.stored_at);
      const expires = Date.parse(shown.json.result.expires_at);
      expect(Math.abs(stored - Date.now())).toBeLessThan(60_000);
      expect(expires - stored).toBeGreaterThan(290_000);
      expect(expires - stored).toBeLessThanOrEqual(301_000);
      const purged = await gw.api('DELETE', `/gateways/cached/cache?key=${key}`);
      expect(purged.status, JSON.stringify(purged.json)).toBe(200);
      expect(purged.json.result.purged).toBe(1);
      expect((await send('cached', { body: body('one') })).headers['cf-aig-cache-status']).toBe('MISS');
      expect((await send('cached', { body: body('two') })).headers['cf-aig-cache-status']).toBe('HIT');
      // Another gateway's entry under the same key is its own.
      await send('volatile', { body: body('one') });
      expect((await gw.api('DELETE', `/gateways/cached/cache?key=${key}`)).json.result.purged).toBe(1);
      expect((await send('volatile', { body: body('one') })).headers['cf-aig-cache-status']).toBe('HIT');
      // Gone already: nothing to purge, and not an error; nothing to show, and a 404 that says why.
      expect((await gw.api('DELETE', `/gateways/cached/cache?key=${key}`)).json.result.purged).toBe(0);
      const gone = await gw.api('GET', `/gateways/cached/cache/${key}`);
      expect(gone.status).toBe(404);
      expect(gone.json.errors[0].message).toBe(
        `No cache entry ${key} in gateway "cached": it expired, was purged, or was never stored`,
      );
      expect((await gw.api('GET', '/gateways/cached/cache/sk-one')).status).toBe(400);
      const bad = await gw.api('DELETE', '/gateways/cached/cache?key=sk-one');
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].message).toBe(
        "key must be a cache key as a log's cache_key shows it: 64 lowercase hex digits; got 6 characters that are not that",
      );
      expect(JSON.stringify(bad.json)).not.toContain('sk-one');
      const mixed = await gw.api('DELETE', `/gateways/cached/cache?key=${key}&provider=openai`);
      expect(mixed.status).toBe(400);
      expect(mixed.json.errors[0].message).toBe('key names one entry: send it without provider or model');
      // Neither refusal purged anything.
      expect((await send('cached', { body: body('two') })).headers['cf-aig-cache-status']).toBe('HIT');
    });

    it('updating a gateway with cache_invalidate_on_update purges its entries', async () => {
      await send('volatile');
      expect((await send('volatile')).headers['cf-aig-cache-status']).toBe('HIT');
      const current = (await gw.api('GET', '/gateways/volatile')).json.result;
      expect((await gw.api('PUT', '/gateways/volatile', current)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect((await send('volatile')).headers['cf-aig-cache-status']).toBe('MISS');
      // Without the flag, an update keeps the entries.
      await send('cached');
      const cached = (await gw.api('GET', '/gateways/cached')).json.result;
      await gw.api('PUT', '/gateways/cached', cached);
      expect((await send('cached')).headers['cf-aig-cache-status']).toBe('HIT');
    });

    it('the stored key holds no secret in clear', async () => {
      const seen: string[] = [];
      const store = gw.gatehouse.app.cache;
      const set = store.set.bind(store);
      store.set = (scope, key, entry, ttl) => {
        seen.push(key, JSON.stringify(entry.headers));
        return set(scope, key, entry, ttl);
      };
      try {
        await send('cached', { headers: { authorization: 'Bearer sk-very-secret-value' } });
      } finally {
        store.set = set;
      }
      expect(seen[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(seen.join('')).not.toContain('sk-very-secret-value');
    });
  });
}

/** A POST over a raw socket: the response head and its chunked body's chunks, as sent. */
async function rawChunks(url: string, body: string): Promise<{ head: string; chunks: Buffer[] }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.write(
    `POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\n` +
      `authorization: Bearer sk-one\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  const parts: Buffer[] = [];
  for await (const part of socket) parts.push(part as Buffer);
  const all = Buffer.concat(parts);
  const split = all.indexOf('\r\n\r\n');
  const head = all.subarray(0, split).toString();
  const chunks: Buffer[] = [];
  let at = split + 4;
  for (;;) {
    const eol = all.indexOf('\r\n', at);
    const size = Number.parseInt(all.subarray(at, eol).toString(), 16);
    if (!(size > 0)) break;
    chunks.push(all.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { head, chunks };
}
