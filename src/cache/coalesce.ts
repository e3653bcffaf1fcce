import { Relay } from './relay.ts';
import type { CachedResponse } from './types.ts';

/** What a request waiting on a leader learns first. */
export type LeaderNews =
  | { kind: 'settled'; entry: CachedResponse | undefined }
  /** The leader is streaming a 2xx answer to its client: follow it live (`settled` if that fails). */
  | { kind: 'relay'; relay: Relay; settled: Promise<CachedResponse | undefined> };

/** The leader's side of a coalesced call. */
export interface Leader {
  /** Call exactly once, with the stored entry or nothing (waiters then make their own calls). */
  settle(entry: CachedResponse | undefined): void;
  /** The answer is a 2xx stream now committed to the leader's client: relay it to the waiters. */
  relay(status: number, headers: Record<string, string | string[]>, sofar: readonly Buffer[]): Relay;
}

/**
 * One leader's call. Its promises are made only when a request waits on it: most calls (every
 * hit from the store) have no one waiting, and then cost an object and a map entry.
 */
class Flight {
  #news: Promise<LeaderNews> | undefined;
  #tell: ((news: LeaderNews) => void) | undefined;
  #settled: Promise<CachedResponse | undefined> | undefined;
  #settle: ((entry: CachedResponse | undefined) => void) | undefined;
  #relay: Relay | undefined;

  news(): Promise<LeaderNews> {
    if (!this.#news) {
      this.#news = new Promise((resolve) => {
        this.#tell = resolve;
      });
      if (this.#relay) this.#tell!({ kind: 'relay', relay: this.#relay, settled: this.#whenSettled() });
    }
    return this.#news;
  }

  settle(entry: CachedResponse | undefined): void {
    this.#settle?.(entry);
    this.#tell?.({ kind: 'settled', entry });
  }

  relay(relay: Relay): void {
    this.#relay = relay;
    this.#tell?.({ kind: 'relay', relay, settled: this.#whenSettled() });
  }

  #whenSettled(): Promise<CachedResponse | undefined> {
    this.#settled ??= new Promise((resolve) => {
      this.#settle = resolve;
    });
    return this.#settled;
  }
}

/**
 * Concurrent identical requests that miss share one upstream call: the first leads, the others
 * wait for it. A streamed answer reaches them as it arrives (see Relay); any other answer when it
 * is stored. A leader whose response is not cacheable resolves with undefined and the waiters
 * make their own calls. In-process only: across nodes each node leads its own.
 */
export class Coalescer {
  readonly #inflight = new Map<string, Flight>();

  /** What the leader under way for this key will tell, if there is one. */
  waitFor(key: string): Promise<LeaderNews> | undefined {
    return this.#inflight.get(key)?.news();
  }

  /** Registers a leader for this key. */
  lead(key: string): Leader {
    const flight = new Flight();
    this.#inflight.set(key, flight);
    return {
      settle: (entry) => {
        if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
        flight.settle(entry);
      },
      relay: (status, headers, sofar) => {
        const relay = new Relay(status, headers, sofar);
        flight.relay(relay);
        return relay;
      },
    };
  }

  get size(): number {
    return this.#inflight.size;
  }
}
