import { describe, expect, it } from 'vitest';
import { MAX_CACHEABLE_BYTES } from '../../src/cache/policy.ts';
import { Relay, type RelayEnd } from '../../src/cache/relay.ts';

function listener() {
  const got: Buffer[] = [];
  const ends: RelayEnd[] = [];
  return { got, ends, data: (c: Buffer) => void got.push(c), end: (h: RelayEnd) => void ends.push(h) };
}

describe('Relay', () => {
  it('a joiner gets the bytes so far in one piece, then each chunk, then the end; leaving stops it', () => {
    const relay = new Relay(200, { 'content-type': 'text/event-stream' }, [Buffer.from('a')]);
    relay.push(Buffer.from('b'));
    const one = listener();
    const leave = relay.join(one)!;
    // One write to the joiner's client, not one per chunk so far.
    expect(one.got.map(String)).toEqual(['ab']);
    relay.push(Buffer.from('c'));
    const two = listener();
    const leaveTwo = relay.join(two)!;
    leaveTwo();
    relay.push(Buffer.from('d'));
    expect(Buffer.concat(one.got).toString()).toBe('abcd');
    expect(two.got.map(String)).toEqual(['abc']);
    expect(relay.listening).toBe(true);
    relay.end({ kind: 'broken', message: 'reset', frame: 'x' });
    expect(one.ends).toEqual([{ kind: 'broken', message: 'reset', frame: 'x' }]);
    expect(two.ends).toEqual([]);
    expect(relay.listening).toBe(false);
    leave();
    // Over: a newcomer is turned away (the stored entry, if any, has the bytes).
    expect(relay.join(listener())).toBeUndefined();
  });

  it('past the cacheable size it goes on for its listeners and turns newcomers away', () => {
    const relay = new Relay(200, {}, []);
    const early = listener();
    relay.join(early);
    const big = Buffer.alloc(MAX_CACHEABLE_BYTES);
    relay.push(big);
    expect(relay.joinable).toBe(true);
    relay.push(Buffer.from('!'));
    expect(relay.joinable).toBe(false);
    expect(relay.join(listener())).toBeUndefined();
    relay.push(Buffer.from('?'));
    expect(early.got.map((c) => c.length)).toEqual([MAX_CACHEABLE_BYTES, 1, 1]);
  });
});
