import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { NodeClaim } from './types.ts';

/**
 * How long a claim outlives a node that stops renewing it (it died, or lost Redis): the longest a
 * follower can wait in vain before making its own call. The holder renews it every RENEW_MS.
 */
export const CLAIM_MS = 3000;
const RENEW_MS = 1000;
/**
 * A follower looks again after 10 ms, then 1.5 times as long each time, at most every 100 ms: an
 * answer that took the leader a second reaches the follower within a tenth of that. Each node has
 * at most one follower per entry (its own identical requests wait on it, in process), so the looks
 * are a few a second per node, whatever the load.
 */
const FIRST_LOOK_MS = 10;
const MAX_LOOK_MS = 100;

/**
 * KEYS: entry, claim. ARGV: token, ms. Run after a read found no entry; the entry's check and the
 * claim are one step, so no node leads for an entry another has just stored. Hits never run it.
 */
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'stored' end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'lead' end
return 'follow'`;

/** KEYS: claim. ARGV: token, ms (0 releases it). Only the node holding the claim renews or releases it. */
const HOLDER_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

/** Lua for a script that also writes the entry: release this node's claim on it, in the same step. */
export const RELEASE_WITH_WRITE = `
local function release_claim(claim, token)
  if token ~= '' and redis.call('GET', claim) == token then redis.call('DEL', claim) end
end
`;

/** Claim tokens: this process's random id and a count, unique across nodes and restarts. */
const NODE = randomBytes(9).toString('base64url');

interface Held {
  token: string;
  renew: NodeJS.Timeout;
}

/**
 * Which node makes the call for an entry not yet stored, across every node sharing this Redis. The
 * claims this node holds are renewed while their calls run; the write of the entry releases its
 * claim in the same script (see `RELEASE_WITH_WRITE`), and `release` does for an answer not stored.
 */
export class RedisClaims {
  readonly #redis: Redis;
  readonly #failed: (err: unknown) => void;
  readonly #held = new Map<string, Held>();
  #claims = 0;

  /** `failed` reports a command that failed, as the store's own do. */
  constructor(redis: Redis, failed: (err: unknown) => void) {
    this.#redis = redis;
    this.#failed = failed;
  }

  /**
   * Which node calls for the entry at `entryKey` (the claim lives at `claimKey`), or `stored` if it
   * was stored since it was read. Undefined when Redis does not answer: the caller makes its own
   * call, as with no other node.
   */
  async claim(entryKey: string, claimKey: string): Promise<NodeClaim | { kind: 'stored' } | undefined> {
    const token = `${NODE}:${++this.#claims}`;
    let answer: unknown;
    try {
      answer = await this.#redis.eval(CLAIM_SCRIPT, 2, entryKey, claimKey, token, String(CLAIM_MS));
    } catch (err) {
      this.#failed(err);
      return undefined;
    }
    if (answer === 'stored') return { kind: 'stored' };
    if (answer === 'follow') return { kind: 'follow', done: this.#released(claimKey) };
    const renew = setInterval(() => void this.#holder(claimKey, token, CLAIM_MS), RENEW_MS);
    renew.unref();
    const held = { token, renew };
    this.#held.set(claimKey, held);
    return {
      kind: 'lead',
      release: () => {
        if (this.#drop(claimKey, held)) void this.#holder(claimKey, token, 0);
      },
    };
  }

  /** The token of this node's claim on `claimKey`, or '': a write of the entry passes it to release it. */
  token(claimKey: string): string {
    return this.#held.get(claimKey)?.token ?? '';
  }

  /** The write that carried `token` has released the claim. */
  releasedWithWrite(claimKey: string, token: string): void {
    const held = this.#held.get(claimKey);
    if (held?.token === token) this.#drop(claimKey, held);
  }

  /** Stops renewing a claim; false if it was dropped before. */
  #drop(claimKey: string, held: Held): boolean {
    if (this.#held.get(claimKey) !== held) return false;
    this.#held.delete(claimKey);
    clearInterval(held.renew);
    return true;
  }

  #holder(claimKey: string, token: string, ms: number): Promise<unknown> {
    return this.#redis.eval(HOLDER_SCRIPT, 1, claimKey, token, String(ms)).catch(this.#failed);
  }

  /** Resolves once the claim is gone: released, lapsed, or Redis no longer answers. */
  async #released(claimKey: string): Promise<void> {
    for (let wait = FIRST_LOOK_MS; ; wait = Math.min(wait * 1.5, MAX_LOOK_MS)) {
      await sleep(wait);
      try {
        if ((await this.#redis.exists(claimKey)) === 0) return;
      } catch {
        return;
      }
    }
  }
}
