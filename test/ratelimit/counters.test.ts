import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LimitCounter, SLIDING_SLOTS, type Window } from '../../src/limits/counter.ts';
import { memoryCounter } from '../../src/limits/memory-counter.ts';
import { redisCounter } from '../../src/limits/redis-counter.ts';
import { REDIS_AVAILABLE, type RedisServer, startRedis } from '../helpers/redis-server.ts';

const T = Date.parse('2026-11-22T12:00:00Z');
const MIN = 60_000;
let n = 0;
const fresh = () => `k${++n}-${Math.random().toString(36).slice(2)}`;

let redis: RedisServer | undefined;
const opened: LimitCounter[] = [];
beforeAll(async () => {
  if (REDIS_AVAILABLE || process.env['CI']) redis = await startRedis();
});
afterAll(async () => {
  for (const c of opened) await c.close();
  await redis?.stop();
});

const FACTORIES: Array<{ name: string; skip: boolean; make(): Promise<LimitCounter> }> = [
  { name: 'memory', skip: false, make: async () => memoryCounter() },
  {
    name: 'redis',
    skip: !REDIS_AVAILABLE && !process.env['CI'],
    async make() {
      const c = await redisCounter(redis!.url, { log: () => undefined });
      opened.push(c);
      return c;
    },
  },
];

for (const f of FACTORIES) {
  describe.skipIf(f.skip)(`limit counter contract (${f.name})`, () => {
    let c: LimitCounter;
    beforeAll(async () => {
      c = await f.make();
    });

    it('SPEC §6 example: 10 per 10 min, 10 at 12:09 and 10 at 12:11: fixed admits all, sliding refuses the second 10', async () => {
      for (const technique of ['fixed', 'sliding'] as const) {
        const w: Window = { limit: 10, windowMs: 10 * MIN, technique };
        const key = fresh();
        const first = await Promise.all(Array.from({ length: 10 }, () => c.take(key, w, 1, T + 9 * MIN)));
        const second = await Promise.all(Array.from({ length: 10 }, () => c.take(key, w, 1, T + 11 * MIN)));
        expect(first.every((d) => d.allowed)).toBe(true);
        expect(second.filter((d) => d.allowed)).toHaveLength(technique === 'fixed' ? 10 : 0);
        if (technique === 'sliding') {
          // The 12:09 requests leave the window at 12:19: 8 minutes after 12:11.
          expect(second[0]!.retryAfterMs).toBe(8 * MIN);
          expect((await c.take(key, w, 1, T + 19 * MIN + 1)).allowed).toBe(true);
        }
      }
    });

    it('fixed windows: remaining, reset at the window end, retry-after when denied', async () => {
      const w: Window = { limit: 3, windowMs: MIN, technique: 'fixed' };
      const key = fresh();
      const at = T + 15_000;
      const d1 = await c.take(key, w, 1, at);
      expect(d1).toMatchObject({ allowed: true, limit: 3, remaining: 2, resetMs: 45_000, retryAfterMs: 0 });
      await c.take(key, w, 1, at);
      await c.take(key, w, 1, at);
      const denied = await c.take(key, w, 1, at + 5000);
      expect(denied).toMatchObject({ allowed: false, remaining: 0, resetMs: 40_000, retryAfterMs: 40_000 });
      expect((await c.take(key, w, 1, T + MIN)).allowed).toBe(true);
    });

    it('a denied request consumes nothing', async () => {
      const w: Window = { limit: 2, windowMs: MIN, technique: 'sliding' };
      const key = fresh();
      await c.take(key, w, 1, T);
      await c.take(key, w, 1, T + 1);
      for (let i = 0; i < 5; i++) expect((await c.take(key, w, 1, T + 10 + i)).allowed).toBe(false);
      expect((await c.take(key, w, 1, T + MIN + 1)).allowed).toBe(true);
    });

    it('amounts: fractional dollars, tokens added after the response, negative adjustments', async () => {
      const w: Window = { limit: 1.5, windowMs: MIN, technique: 'sliding' };
      const key = fresh();
      expect((await c.take(key, w, 0.75, T)).allowed).toBe(true);
      expect((await c.take(key, w, 0.5, T + 1)).remaining).toBeCloseTo(0.25, 9);
      expect((await c.take(key, w, 0.5, T + 2)).allowed).toBe(false);
      await c.add(key, w, -0.5, T + 3);
      expect((await c.peek(key, w, T + 4)).remaining).toBeCloseTo(0.75, 9);
      await c.add(key, w, 5, T + 5);
      expect((await c.peek(key, w, T + 6)).allowed).toBe(false);
      const fixed: Window = { limit: 100, windowMs: MIN, technique: 'fixed' };
      const tokens = fresh();
      expect((await c.take(tokens, fixed, 60, T)).allowed).toBe(true); // reserved from max_tokens
      await c.add(tokens, fixed, -45, T + 1); // the answer used 15
      expect((await c.peek(tokens, fixed, T + 2)).remaining).toBe(85);
    });

    it('50 concurrent requests against a limit of 10 admit exactly 10', async () => {
      const w: Window = { limit: 10, windowMs: MIN, technique: 'sliding' };
      const key = fresh();
      // Redis: a second connection, as another node would have; memory counters live in one process.
      const other = f.name === 'memory' ? c : await f.make();
      const all = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? other : c).take(key, w, 1, T + i)),
      );
      expect(all.filter((d) => d.allowed)).toHaveLength(10);
    });

    it('sliding: an amount counts for its own window and at most one slot (0.1%) longer, never shorter', async () => {
      // Against a brute-force log of every take: random times over 3 windows of 10 s (10 ms slots).
      const w: Window = { limit: 40, windowMs: 10_000, technique: 'sliding' };
      const slot = w.windowMs / SLIDING_SLOTS;
      const key = fresh();
      const admitted: Array<{ at: number; amount: number }> = [];
      let seed = 7;
      const random = () => {
        seed = (seed * 48_271) % 2_147_483_647;
        return seed / 2_147_483_647;
      };
      let at = T;
      for (let i = 0; i < 400; i++) {
        at += Math.floor(random() * 150);
        const amount = 1 + Math.floor(random() * 3);
        const inWindow = (from: number) =>
          admitted.filter((e) => e.at > from).reduce((n, e) => n + e.amount, 0);
        const exact = inWindow(at - w.windowMs);
        const generous = inWindow(at - w.windowMs - slot);
        const d = await c.take(key, w, amount, at);
        const used = w.limit - d.remaining - (d.allowed ? amount : 0);
        expect(used).toBeGreaterThanOrEqual(Math.min(exact, w.limit));
        expect(used).toBeLessThanOrEqual(generous);
        if (d.allowed) {
          expect(exact + amount).toBeLessThanOrEqual(w.limit);
          admitted.push({ at, amount });
        }
      }
      expect(admitted.length).toBeGreaterThan(50);
      expect(admitted.length).toBeLessThan(300);
    });

    it('idle keys expire', async () => {
      const w: Window = { limit: 1, windowMs: 1000, technique: 'fixed' };
      const key = fresh();
      expect((await c.take(key, w, 1, T)).allowed).toBe(true);
      expect((await c.take(key, w, 1, T + 2000)).allowed).toBe(true);
    });
  });
}

describe('memory counter', () => {
  it('sweeps idle keys a few per operation, not all of them at once now and then', async () => {
    const c = memoryCounter();
    const w: Window = { limit: 1, windowMs: 1000, technique: 'fixed' };
    for (let i = 0; i < 5000; i++) await c.take(`user-${i}`, w, 1, T);
    expect(c.keys()).toBe(5000);
    // Later, while one key is busy, the idle ones go eight per operation.
    for (let i = 0; i < 100; i++) await c.take('busy', w, 1, T + 5000 + i);
    expect(c.keys()).toBeGreaterThan(4000);
    expect(c.keys()).toBeLessThan(4400);
    for (let i = 0; i < 600; i++) await c.take('busy', w, 1, T + 5100 + i);
    expect(c.keys()).toBe(1);
  });
});

describe.skipIf(!REDIS_AVAILABLE && !process.env['CI'])('redis counter, sliding windows', () => {
  it('keeps at most one entry per slot, however many requests the window holds', async () => {
    const c = await redisCounter(redis!.url, { log: () => undefined });
    const admin = new Redis(redis!.url);
    try {
      const w: Window = { limit: 1e9, windowMs: 60 * MIN, technique: 'sliding' };
      const key = fresh();
      // 5 000 requests, one every 0.9 s: the whole hour's window.
      for (let i = 0; i < 5000; i++) await c.take(key, w, 1, T + i * 900);
      const d = await c.peek(key, w, T + 4999 * 900);
      expect(w.limit - d.remaining).toBeGreaterThanOrEqual(4000);
      const stored = await admin.llen(`gatehouse:limit:slots:${w.windowMs}:${key}`);
      expect(stored).toBeGreaterThan(900);
      expect(stored).toBeLessThanOrEqual(SLIDING_SLOTS + 1);
    } finally {
      admin.disconnect();
      await c.close();
    }
  });

  it('tells a request refused by a window far over its limit the earliest it could fit, reading 64 slots', async () => {
    const c = await redisCounter(redis!.url, { log: () => undefined });
    try {
      const key = fresh();
      const w: Window = { limit: 1000, windowMs: 100_000, technique: 'sliding' }; // 100 ms slots
      for (let i = 0; i < 200; i++) await c.take(key, w, 1, T + i * 100);
      // Two slots' worth must leave for one more to fit a limit of 199.
      expect(await c.take(key, { ...w, limit: 199 }, 1, T + 20_000)).toMatchObject({
        allowed: false,
        retryAfterMs: 100 + w.windowMs - 20_000,
      });
      // 191 must leave for a limit of 10; the answer is when the 64th does.
      expect(await c.take(key, { ...w, limit: 10 }, 1, T + 20_000)).toMatchObject({
        allowed: false,
        retryAfterMs: 63 * 100 + w.windowMs - 20_000,
      });
    } finally {
      await c.close();
    }
  });
});

describe.skipIf(!REDIS_AVAILABLE && !process.env['CI'])('redis counter when Redis is down', () => {
  it('fails open, and says so', async () => {
    const warnings: string[] = [];
    const c = await redisCounter('redis://127.0.0.1:1', { log: (_l, m) => warnings.push(m) });
    try {
      const d = await c.take('x', { limit: 1, windowMs: 1000, technique: 'fixed' }, 1);
      expect(d).toMatchObject({ allowed: true, failedOpen: true });
      expect(warnings.join(' ')).toMatch(/limits: Redis unavailable/);
    } finally {
      await c.close();
    }
  });
});
