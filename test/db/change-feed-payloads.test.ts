import { describe, expect, it } from 'vitest';
import { logBatchPayloads, purgePayload, readLogBatch, readPurge } from '../../src/db/change-feed.ts';

describe('log batch announcements', () => {
  it('consecutive seq values become one range; gaps and repeats are handled', () => {
    expect(logBatchPayloads('n1', [5, 3, 4, 9, 9, 10])).toEqual(['{"n":"n1","r":[[3,5],[9,10]]}']);
    expect(logBatchPayloads('n1', [])).toEqual([]);
  });

  it('a batch interleaved with other nodes splits into payloads NOTIFY carries, and reads back whole', () => {
    // Every other value: 500 single-value ranges of 13-digit numbers, far over one payload.
    const seqs = Array.from({ length: 500 }, (_, i) => 1_000_000_000_000 + 2 * i);
    const payloads = logBatchPayloads('node-a', seqs);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const back = payloads.flatMap((p) => readLogBatch('node-b', p)!);
    expect(back.map(([from]) => from)).toEqual(seqs);
    expect(back.every(([from, to]) => from === to)).toBe(true);
  });

  it('a node ignores its own announcements and any that are not well formed', () => {
    const [p] = logBatchPayloads('node-a', [1, 2]);
    expect(readLogBatch('node-a', p)).toBeUndefined();
    expect(readLogBatch('node-b', p)).toEqual([[1, 2]]);
    for (const bad of [
      undefined,
      '',
      'nope',
      '{"n":"x"}',
      '{"n":"x","r":[[2,1]]}',
      '{"n":"x","r":[["1",2]]}',
    ])
      expect(readLogBatch('node-b', bad)).toBeUndefined();
  });
});

describe('purge announcements', () => {
  it('reads another node’s filter, ignores its own and any not well formed', () => {
    const f = { accountId: 'local', gatewayId: 'g', model: 'gpt-4o' };
    expect(readPurge('me', JSON.stringify({ n: 'other', f }))).toEqual(f);
    expect(readPurge('me', JSON.stringify({ n: 'me', f }))).toBeUndefined();
    for (const bad of [
      undefined,
      '{}',
      '{"n":"x","f":{"accountId":"local"}}',
      '{"n":"x","f":{"accountId":"local","gatewayId":"g","provider":7}}',
    ])
      expect(readPurge('me', bad)).toBeUndefined();
  });
});

describe('cache purge announcements', () => {
  const base = { accountId: 'local', gatewayId: 'g1' };

  it('a filter NOTIFY carries goes as it is', () => {
    const f = { ...base, provider: 'openai', model: 'gpt-4o' };
    expect(readPurge('node-b', purgePayload('node-a', f))).toEqual(f);
    const one = { ...base, key: 'ab'.repeat(32) };
    expect(readPurge('node-b', purgePayload('node-a', one))).toEqual(one);
    expect(readPurge('node-b', JSON.stringify({ n: 'node-a', f: { ...base, key: 7 } }))).toBeUndefined();
  });

  it('one it cannot carry is widened, never dropped: other nodes purge more, not nothing', () => {
    const long = { ...base, provider: 'openai', model: 'm'.repeat(10_000) };
    const p = purgePayload('node-a', long);
    expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(readPurge('node-b', p)).toEqual({ ...base, provider: 'openai' });
    // Postgres text holds no NUL: the name would arrive changed, and match nothing.
    expect(readPurge('node-b', purgePayload('node-a', { ...base, model: 'a\u0000b' }))).toEqual(base);
    expect(
      readPurge('node-b', purgePayload('node-a', { ...base, provider: 'p'.repeat(9_000), model: 'x' })),
    ).toEqual(base);
  });
});
