import type { CachedResponse } from './types.ts';

/**
 * Concurrent identical requests that miss share one upstream call: the first leads, the others
 * wait for its result. A leader whose response is not cacheable resolves with undefined and the
 * waiters make their own calls. In-process only: across nodes each node leads its own.
 */
export class Coalescer {
  readonly #inflight = new Map<string, Promise<CachedResponse | undefined>>();

  /** The leader's pending result for this key, if a call is under way. */
  waitFor(key: string): Promise<CachedResponse | undefined> | undefined {
    return this.#inflight.get(key);
  }

  /** Registers a leader; call the returned function exactly once with the outcome. */
  lead(key: string): (entry: CachedResponse | undefined) => void {
    let settle!: (entry: CachedResponse | undefined) => void;
    this.#inflight.set(
      key,
      new Promise((resolve) => {
        settle = resolve;
      }),
    );
    return (entry) => {
      this.#inflight.delete(key);
      settle(entry);
    };
  }

  get size(): number {
    return this.#inflight.size;
  }
}
