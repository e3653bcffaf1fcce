import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStore } from '../../src/cache/memory-store.ts';
import { CLAIM_MS } from '../../src/cache/redis-claims.ts';
import { redisStore } from '../../src/cache/redis-store.ts';
import { FILE_FROM_BYTES, sqliteStore } from '../../src/cache/sqlite-store.ts';
import { migrate } from '../../src/db/migrations.ts';
import { openSqlite } from '../../src/db/sqlite.ts';
import { countEventLoopTurns } from '../helpers/event-loop-turns.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { describeCacheStore, entry, scope } from './store-contract.ts';

// Outside CI a missing redis-server skips (the helper prints the notice); under CI it fails.
const SKIP_REDIS = !REDIS_AVAILABLE && !process.env['CI'];

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-cache-store-'));
  dirs.push(d);
  return d;
};
const servers: RedisServer[] = [];
const redisServer = async () => {
  const server = await startRedis();
  if (!server) throw new Error('redis-server is not installed');
  servers.push(server);
  return server;
};
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openSqliteStore(
  path: string,
  maxBytes?: number,
  files?: { fileDir: string; fileFromBytes?: number },
) {
  const { db, raw } = openSqlite(path);
  await migrate(db);
  return { store: sqliteStore(raw, { ...(maxBytes === undefined ? {} : { maxBytes }), ...files }), raw };
}

describeCacheStore('memory', async () => ({ store: memoryStore(1e7) }));

describeCacheStore('sqlite', async () => {
  const path = join(tempDir(), 'gatehouse.db');
  const { store } = await openSqliteStore(path);
  return { store, reopen: async () => (await openSqliteStore(path)).store };
});

describeCacheStore('sqlite, every entry in a file', async () => {
  const dir = tempDir();
  const files = { fileDir: join(dir, 'entries'), fileFromBytes: 1 };
  const { store } = await openSqliteStore(join(dir, 'gatehouse.db'), undefined, files);
  return {
    store,
    reopen: async () => (await openSqliteStore(join(dir, 'gatehouse.db'), undefined, files)).store,
  };
});

describeCacheStore(
  'redis',
  async () => {
    const { url } = await redisServer();
    return { store: await redisStore(url), reopen: () => redisStore(url) };
  },
  { skip: SKIP_REDIS },
);

it.runIf(!REDIS_AVAILABLE && Boolean(process.env['CI']))(
  'redis-server is installed (required under CI)',
  () => {
    expect.fail('redis-server is not installed; under CI=true the Redis store tests must run');
  },
);

describe('memory store bound', () => {
  it('never holds more bytes than its bound, and refuses an entry larger than the bound', async () => {
    const bound = 50_000;
    const store = memoryStore(bound);
    for (let i = 0; i < 300; i++) {
      await store.set(scope(), `k${i}`, entry(Buffer.alloc(100 + ((i * 997) % 9000))), 60);
      expect(store.held().bytes).toBeLessThanOrEqual(bound);
    }
    expect(await store.get(scope(), 'k299')).toBeDefined();
    expect(await store.get(scope(), 'k0')).toBeUndefined();
    await store.set(scope(), 'huge', entry(Buffer.alloc(bound + 1)), 60);
    expect(await store.get(scope(), 'huge')).toBeUndefined();
    expect(store.held().bytes).toBeLessThanOrEqual(bound);
  });
});

describe('sqlite store', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps expired rows every minute, and close() stops the sweep but leaves the database open', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { store, raw } = await openSqliteStore(join(tempDir(), 'gatehouse.db'));
    const rows = () => Number(raw.prepare('SELECT count(*) AS n FROM cache_entries').get()?.['n']);
    await store.set(scope(), 'short', entry(), 1);
    await store.set(scope(), 'long', entry(), 3600);
    vi.advanceTimersByTime(2_000);
    expect(await store.get(scope(), 'short')).toBeUndefined();
    expect(rows()).toBe(2); // expired, invisible, not yet swept
    vi.advanceTimersByTime(60_000);
    await vi.waitFor(() => expect(rows()).toBe(1));
    expect(await store.get(scope(), 'long')).toBeDefined();

    await store.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(rows()).toBe(1); // the shared database is still usable
    raw.close();
  });

  it('keeps a body from 4 KiB compressed: a long stream in a row, not a file, and read back exactly', async () => {
    const dir = tempDir();
    const { store, raw } = await openSqliteStore(join(dir, 'gatehouse.db'), undefined, {
      fileDir: join(dir, 'cache-entries'),
    });
    const frames: number[] = [];
    let sse = '';
    for (let i = 0; i < 2000; i++) {
      sse += `data: {"object":"chat.completion.chunk","choices":[{"delta":{"content":"token ${i} "}}]}\n\n`;
      frames.push(sse.length);
    }
    const stream = entry(sse, frames);
    expect(stream.body.length).toBeGreaterThan(FILE_FROM_BYTES);
    await store.set(scope(), 'stream', stream, 60);
    const row = raw.prepare("SELECT size, file FROM cache_entries WHERE key = 'stream'").get();
    expect(Number(row?.['size'])).toBeLessThan(stream.body.length / 5);
    expect(row?.['file']).toBeNull();
    const got = await store.get(scope(), 'stream');
    expect(got?.body.toString()).toBe(sse);
    expect(got?.frames).toEqual(frames);
    await store.close();
    raw.close();
  });

  it('a row it cannot read is a miss, reported, and the next answer stored replaces it', async () => {
    const warnings: string[] = [];
    const { db, raw } = openSqlite(join(tempDir(), 'gatehouse.db'));
    await migrate(db);
    const store = sqliteStore(raw, { log: (_level, message) => warnings.push(message) });
    await store.set(scope(), 'k', entry('x'.repeat(10_000)), 60);
    // Its compressed body damaged (a bad sector): the marker and lengths still say it is one.
    const value = Buffer.from(
      raw.prepare("SELECT value FROM cache_entries WHERE key = 'k'").get()?.['value'] as Uint8Array,
    );
    value.fill(0, value.length - 20);
    raw.prepare("UPDATE cache_entries SET value = ? WHERE key = 'k'").run(value);
    expect(await store.get(scope(), 'k')).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^cache \(sqlite\): reading an entry failed \(.+\); serving without those entries$/,
    );
    // Text where the blob was (a hand edit), read as a miss too.
    raw.prepare("UPDATE cache_entries SET value = 'not an entry' WHERE key = 'k'").run();
    expect(await store.get(scope(), 'k')).toBeUndefined();
    await store.set(scope(), 'k', entry('fresh'), 60);
    expect((await store.get(scope(), 'k'))?.body.toString()).toBe('fresh');
    await store.close();
    raw.close();
  });
});

describe('sqlite store, many entries at once', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps and purges a hundred rows per statement, letting requests through in between', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { store, raw } = await openSqliteStore(join(tempDir(), 'gatehouse.db'));
    const rows = () => Number(raw.prepare('SELECT count(*) AS n FROM cache_entries').get()?.['n']);
    for (let i = 0; i < 250; i++) await store.set(scope(), `short${i}`, entry(), 1);
    await store.set(scope(), 'long', entry(), 3600);
    vi.advanceTimersByTime(61_000);
    // The minute's sweep has run its first statement and yielded: one entry deleting took ~0.1 ms,
    // so 100 000 at once held every request for seconds.
    expect(rows()).toBe(151);
    await vi.waitFor(() => expect(rows()).toBe(1));

    for (let i = 0; i < 250; i++) await store.set(scope(), `again${i}`, entry(), 3600);
    const purging = store.purge({ accountId: scope().accountId, gatewayId: scope().gatewayId });
    expect(rows()).toBe(151);
    expect(await purging).toBe(251);
    expect(rows()).toBe(0);
    await store.close();
    raw.close();
  });
});

describe('sqlite store bound', () => {
  it('never holds more bytes than its bound: the entries that expire soonest go first, across restarts', async () => {
    const bound = 50_000;
    const path = join(tempDir(), 'gatehouse.db');
    let { store, raw } = await openSqliteStore(path, bound);
    const held = () =>
      Number(raw.prepare('SELECT coalesce(sum(size), 0) AS n FROM cache_entries').get()?.['n']);
    // Each later entry lives longer, so the earliest are the first to go.
    for (let i = 0; i < 300; i++) {
      await store.set(scope(), `k${i}`, entry(randomBytes(100 + ((i * 997) % 9000))), 60 + i);
      expect(held()).toBeLessThanOrEqual(bound);
    }
    expect(await store.get(scope(), 'k299')).toBeDefined();
    expect(await store.get(scope(), 'k0')).toBeUndefined();
    expect(held()).toBeGreaterThan(bound * 0.5);

    // An entry replaced under its own key counts once.
    for (let i = 0; i < 50; i++) await store.set(scope(), 'same', entry(randomBytes(5_000)), 3600);
    expect(await store.get(scope(), 'k299')).toBeDefined();

    // A restart reads what the table holds, and keeps the bound.
    await store.close();
    raw.close();
    ({ store, raw } = await openSqliteStore(path, bound));
    for (let i = 300; i < 320; i++) {
      await store.set(scope(), `k${i}`, entry(randomBytes(4_000)), 60 + i);
      expect(held()).toBeLessThanOrEqual(bound);
    }
    expect(await store.get(scope(), 'k319')).toBeDefined();

    await store.set(scope(), 'huge', entry(randomBytes(bound + 1)), 3600);
    expect(await store.get(scope(), 'huge')).toBeUndefined();
    expect(held()).toBeLessThanOrEqual(bound);
    // The bound is in the bytes stored: a body that compresses takes what it compressed to.
    const squeezed = Buffer.from('data: {"choices":[{"delta":{"content":"word"}}]}\n\n'.repeat(2000));
    expect(squeezed.length).toBeGreaterThan(bound);
    await store.set(scope(), 'squeezed', entry(squeezed), 3600);
    expect((await store.get(scope(), 'squeezed'))?.body.equals(squeezed)).toBe(true);
    expect(held()).toBeLessThanOrEqual(bound);
    await store.close();
    raw.close();
  });
});

describe.skipIf(SKIP_REDIS)('redis store', () => {
  it('keeps per-gateway index sets with an expiry, and a purge leaves no key behind', async () => {
    const { url } = await redisServer();
    const store = await redisStore(url);
    const redis = new Redis(url);
    try {
      await store.set(scope('idx', 'openai', 'gpt-4o'), 'k', entry(), 60);
      const keys = (await redis.keys('gatehouse:*')).sort();
      expect(keys).toEqual([
        'gatehouse:cache-index:local:idx',
        'gatehouse:cache-index:local:idx:m:gpt-4o',
        'gatehouse:cache-index:local:idx:p:openai',
        'gatehouse:cache-index:local:idx:pm:openai:gpt-4o',
        'gatehouse:cache-index:local:idx:tags',
        'gatehouse:cache:local:idx:k',
      ]);
      for (const k of keys) {
        const ttl = await redis.pttl(k);
        expect(ttl, k).toBeGreaterThan(0);
        expect(ttl, k).toBeLessThanOrEqual(60_000);
      }
      expect(await store.purge({ accountId: 'local', gatewayId: 'idx' })).toBe(1);
      expect(await redis.keys('gatehouse:*')).toEqual([]);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  it('compresses a body from 4 KiB unless that saves little, and reads every form back', async () => {
    const { url } = await redisServer();
    const store = await redisStore(url);
    const redis = new Redis(url);
    const stored = (key: string) => redis.getBuffer(`gatehouse:cache:local:g1:${key}`);
    try {
      // A streamed answer: 300 SSE frames, the same JSON envelope each time with another token.
      const frames: number[] = [];
      let sse = '';
      for (let i = 0; i < 300; i++) {
        sse += `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"token ${i} "}}]}\n\n`;
        frames.push(Buffer.byteLength(sse));
      }
      const stream = entry(sse, frames);
      await store.set(scope(), 'stream', stream, 60);
      const packed = (await stored('stream'))!;
      expect(packed.length).toBeLessThan(stream.body.length / 5);
      const got = await store.get(scope(), 'stream');
      expect(got?.body.toString()).toBe(sse);
      expect(got?.frames).toEqual(frames);
      expect(got?.headers).toEqual(stream.headers);

      // Below 4 KiB, and bytes that do not compress (an image), are stored as they are: the
      // format earlier versions wrote, whose first byte is the head length's high byte, 0.
      await store.set(scope(), 'small', entry('x'.repeat(4095)), 60);
      const noise = randomBytes(8192);
      await store.set(scope(), 'noise', entry(noise), 60);
      for (const [key, body] of [
        ['small', Buffer.from('x'.repeat(4095))],
        ['noise', noise],
      ] as const) {
        const raw = (await stored(key))!;
        expect(raw[0], key).toBe(0);
        expect(raw.length, key).toBeGreaterThan(body.length);
        expect((await store.get(scope(), key))?.body.equals(body), key).toBe(true);
      }
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  it('an entry it cannot read is a miss, reported at most once a minute, and Redis stays in use', async () => {
    const { url } = await redisServer();
    const warnings: string[] = [];
    const store = await redisStore(url, { log: (_level, message) => warnings.push(message) });
    const redis = new Redis(url);
    try {
      await redis.set('gatehouse:cache:local:g1:foreign', 'not an entry');
      await redis.set(
        'gatehouse:cache:local:g1:broken',
        // The marker, a body of 4 096 bytes, a head of 2 bytes ("{}"), then bytes that do not inflate.
        Buffer.concat([
          Buffer.of(0x7a, 0, 0, 0x10, 0, 0, 0, 0, 2),
          Buffer.from('{}'),
          Buffer.alloc(40, 0xff),
        ]),
      );
      expect(await store.get(scope(), 'foreign')).toBeUndefined();
      expect(await store.get(scope(), 'broken')).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^cache: an entry in Redis could not be read \(.+\); answered as a miss$/);
      // Not taken for an outage: the answer stored next replaces the bytes, and is read.
      await store.set(scope(), 'foreign', entry('fresh'), 60);
      expect((await store.get(scope(), 'foreign'))?.body.toString()).toBe('fresh');
      expect(warnings).toHaveLength(1);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  it('claims: one node leads per entry, kept past its lifetime while held; the write or a release lets the others go', async () => {
    const { url } = await redisServer();
    const [nodeA, nodeB] = [await redisStore(url), await redisStore(url)];
    const redis = new Redis(url);
    const at = { accountId: 'local', gatewayId: 'claims' };
    const s = scope('claims', 'openai', 'gpt-4o');
    const claimKey = (k: string) => `gatehouse:cache-claim:local:claims:${k}`;
    try {
      const lead = await nodeA.claim!(at, 'k1');
      expect(lead?.kind).toBe('lead');
      const follow = await nodeB.claim!(at, 'k1');
      expect(follow?.kind).toBe('follow');
      // The leader's call outlasts the claim's lifetime: it is renewed, so no one else leads.
      await new Promise((r) => setTimeout(r, CLAIM_MS + 500));
      expect((await nodeB.claim!(at, 'k1'))?.kind).toBe('follow');
      let done = false;
      if (follow?.kind === 'follow') void follow.done.then(() => (done = true));
      expect(done).toBe(false);
      // The write of the entry releases the claim in the same script.
      await nodeA.set(s, 'k1', entry(), 60);
      expect(await redis.exists(claimKey('k1'))).toBe(0);
      await vi.waitFor(() => expect(done).toBe(true));
      expect((await nodeB.claim!(at, 'k1'))?.kind).toBe('stored');

      // An answer not stored (an error): release lets the followers go, and only the holder can.
      const second = await nodeB.claim!(at, 'k2');
      const waiting = await nodeA.claim!(at, 'k2');
      if (second?.kind !== 'lead' || waiting?.kind !== 'follow')
        throw new Error('expected lead, then follow');
      await nodeA.set(s, 'k2', entry(), 60).then(() => nodeA.purge({ ...at, model: 'gpt-4o' }));
      expect(await redis.exists(claimKey('k2'))).toBe(1);
      second.release();
      await waiting.done;
      expect(await redis.exists(claimKey('k2'))).toBe(0);
    } finally {
      redis.disconnect();
      await nodeA.close();
      await nodeB.close();
    }
  });

  it('the indexes of a busy gateway hold its live entries, not every entry it ever stored', async () => {
    const { url } = await redisServer();
    const store = await redisStore(url);
    const redis = new Redis(url);
    const idx = 'gatehouse:cache-index:local:busy';
    try {
      const s = scope('busy', 'openai', 'gpt-4o');
      // A long-lived entry keeps the index keys alive, as steady traffic does.
      await store.set(s, 'live-1', entry(), 60);
      await Promise.all(Array.from({ length: 150 }, (_, i) => store.set(s, `short-${i}`, entry(), 1)));
      expect(await redis.zcard(idx)).toBe(151);
      await new Promise((r) => setTimeout(r, 1100));
      // Each store forgets up to 100 expired entries: two stores forget all 150.
      await store.set(s, 'live-2', entry(), 60);
      expect(await redis.zcard(idx)).toBe(52);
      await store.set(s, 'live-3', entry(), 60);
      const live = ['live-1', 'live-2', 'live-3'].map((k) => `gatehouse:cache:local:busy:${k}`);
      for (const k of [idx, `${idx}:p:openai`, `${idx}:m:gpt-4o`, `${idx}:pm:openai:gpt-4o`])
        expect((await redis.zrange(k, 0, -1)).sort(), k).toEqual(live);
      expect(await redis.hlen(`${idx}:tags`)).toBe(3);
      expect(await store.purge({ accountId: 'local', gatewayId: 'busy' })).toBe(3);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  it('a write Redis refuses (out of memory) is reported as refused, and a later outage still as one', async () => {
    const server = await redisServer();
    const warnings: string[] = [];
    const store = await redisStore(server.url, { log: (_level, message) => warnings.push(message) });
    const admin = new Redis(server.url);
    try {
      await store.set(scope(), 'kept', entry(), 60);
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      await expect(store.set(scope(), 'refused', entry(), 60)).resolves.toBeUndefined();
      await store.set(scope(), 'refused-again', entry(), 60);
      expect(warnings).toHaveLength(1); // at most once a minute
      expect(warnings[0]).toMatch(/^cache: Redis refused a command \(OOM .*\); that entry is not cached$/);
      expect(await store.get(scope(), 'kept')).toBeDefined(); // reads still work
      expect(await store.get(scope(), 'refused')).toBeUndefined();
    } finally {
      admin.disconnect();
    }
    await server.stop();
    await store.get(scope(), 'kept');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^cache: Redis unavailable/);
    await store.close();
  });

  it('a Redis that stops answering is reported once, and its return too', async () => {
    const server = await redisServer();
    const warnings: string[] = [];
    const store = await redisStore(server.url, { log: (_level, message) => warnings.push(message) });
    await store.set(scope(), 'k', entry(), 60);
    server.pause();
    expect(await store.get(scope(), 'k')).toBeUndefined();
    expect(await store.get(scope(), 'k')).toBeUndefined();
    server.resume();
    const deadline = Date.now() + 10_000;
    while (!warnings.some((w) => w.includes('Redis is back')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(warnings, JSON.stringify(warnings)).toHaveLength(2);
    expect(warnings[0]).toContain('cache: Redis unavailable');
    expect(warnings[1]).toMatch(/^cache: Redis is back after \d+ s; caching again$/);
    expect(await store.get(scope(), 'k')).toBeDefined();
    await store.close();
  });

  it('when Redis goes away, reads miss and writes are dropped, reported once, without errors', async () => {
    const server = await redisServer();
    const warnings: string[] = [];
    const store = await redisStore(server.url, { log: (_level, message) => warnings.push(message) });
    await store.set(scope(), 'k', entry(), 60);
    expect(await store.get(scope(), 'k')).toBeDefined();
    expect(warnings).toEqual([]);

    await server.stop();
    expect(await store.get(scope(), 'k')).toBeUndefined();
    await expect(store.set(scope(), 'k2', entry(), 60)).resolves.toBeUndefined();
    expect(await store.get(scope(), 'k2')).toBeUndefined();
    await expect(store.set(scope(), 'k3', entry(), 60)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Redis unavailable');
    await store.close();
  });
});

describe('sqlite store, large entries in files', () => {
  const entryFiles = (dir: string) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.entry')) : [];

  it('writes a large entry to a file off the request thread, and deletes the file with its row', async () => {
    const dir = tempDir();
    const fileDir = join(dir, 'entries');
    const { store, raw } = await openSqliteStore(join(dir, 'gatehouse.db'), undefined, { fileDir });
    const big = entry(randomBytes(FILE_FROM_BYTES));
    // node:sqlite is synchronous: storing in the database, no other work runs until it is done.
    const turns = countEventLoopTurns();
    await store.set(scope(), 'big', big, 3600);
    expect(turns.stop()).toBeGreaterThan(0);
    await store.set(scope(), 'small', entry('small'), 3600);
    const stored = raw
      .prepare('SELECT key, length(value) AS bytes, file FROM cache_entries ORDER BY key')
      .all();
    expect(stored.map((r) => [r['key'], r['bytes'], typeof r['file']])).toEqual([
      ['big', 0, 'string'],
      ['small', Number(stored[1]!['bytes']), 'object'],
    ]);
    expect(entryFiles(fileDir)).toEqual([stored[0]!['file']]);
    expect((await store.get(scope(), 'big'))?.body.equals(big.body)).toBe(true);

    // Set again: the new file replaces the old one.
    await store.set(scope(), 'big', entry(randomBytes(FILE_FROM_BYTES + 1)), 3600);
    await vi.waitFor(() => expect(entryFiles(fileDir)).toHaveLength(1));
    expect((await store.get(scope(), 'big'))?.body.length).toBe(FILE_FROM_BYTES + 1);
    expect(await store.purge({ accountId: scope().accountId, gatewayId: scope().gatewayId })).toBe(2);
    await vi.waitFor(() => expect(entryFiles(fileDir)).toEqual([]));
    await store.close();
    raw.close();
  });

  it('answers an entry while its file is written, and a purge meanwhile keeps it from being stored', async () => {
    const dir = tempDir();
    const fileDir = join(dir, 'entries');
    const { store, raw } = await openSqliteStore(join(dir, 'gatehouse.db'), undefined, { fileDir });
    const big = entry(randomBytes(FILE_FROM_BYTES));
    const storing = store.set(scope(), 'big', big, 3600);
    // The request that stored it has its answer; the next identical one must not miss.
    expect((await store.get(scope(), 'big'))?.body.equals(big.body)).toBe(true);
    expect(await store.get(scope('other-gateway'), 'big')).toBeUndefined();
    expect(
      await store.purge({ accountId: scope().accountId, gatewayId: scope().gatewayId, model: 'gpt-4o' }),
    ).toBe(1);
    await storing;
    expect(await store.get(scope(), 'big')).toBeUndefined();
    expect(Number(raw.prepare('SELECT count(*) AS n FROM cache_entries').get()?.['n'])).toBe(0);
    await vi.waitFor(() => expect(entryFiles(fileDir)).toEqual([]));
    await store.close();
    raw.close();
  });

  it('evicts file entries with their files, and at start removes old files no row names', async () => {
    const dir = tempDir();
    const fileDir = join(dir, 'entries');
    const path = join(dir, 'gatehouse.db');
    const bound = 5 * FILE_FROM_BYTES;
    let { store, raw } = await openSqliteStore(path, bound, { fileDir });
    for (let i = 0; i < 12; i++)
      await store.set(scope(), `k${i}`, entry(randomBytes(FILE_FROM_BYTES)), 60 + i);
    const rows = () => Number(raw.prepare('SELECT count(*) AS n FROM cache_entries').get()?.['n']);
    await vi.waitFor(() => expect(entryFiles(fileDir)).toHaveLength(rows()));
    expect(rows()).toBeLessThan(12);
    await store.close();
    raw.close();

    // A crash left two files without rows: the old one goes at the next start, the new one stays
    // (its row may still be on the way).
    writeFileSync(join(fileDir, 'orphan-old.entry'), 'x');
    utimesSync(
      join(fileDir, 'orphan-old.entry'),
      new Date(Date.now() - 3_600_000),
      new Date(Date.now() - 3_600_000),
    );
    writeFileSync(join(fileDir, 'orphan-new.entry'), 'x');
    ({ store, raw } = await openSqliteStore(path, bound, { fileDir }));
    await vi.waitFor(() => expect(entryFiles(fileDir)).not.toContain('orphan-old.entry'));
    expect(entryFiles(fileDir)).toContain('orphan-new.entry');
    expect(entryFiles(fileDir)).toHaveLength(rows() + 1);
    expect((await store.get(scope(), 'k11'))?.body.length).toBe(FILE_FROM_BYTES);
    await store.close();
    raw.close();
  });
});
