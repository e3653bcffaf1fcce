import { MAX_CACHEABLE_BYTES } from './policy.ts';
import type { CachedResponse } from './types.ts';

/** How a relayed stream ended. */
export type RelayEnd =
  | {
      kind: 'complete';
      /** The entry the leader stored, when it did (its token counts are the waiters' too). */
      entry: CachedResponse | undefined;
      model: string | null;
      tokensIn: number | null;
      tokensOut: number | null;
    }
  /** The upstream broke after the first bytes: `frame` ends the stream in its own dialect. */
  | { kind: 'broken'; message: string; frame: string | Buffer };

export interface RelayListener {
  data(chunk: Buffer): void;
  end(how: RelayEnd): void;
}

/**
 * A leader's streamed answer, passed on to the identical requests waiting on it as it arrives:
 * each gets the bytes so far in one piece, then each chunk as it comes, then the end. Without it a
 * waiter got nothing until the whole stream was over, and a long generation's first token came
 * last.
 *
 * It keeps the bytes so far for waiters that join later, up to the cacheable size; past that it
 * goes on for those already listening and turns newcomers away (they make their own call).
 */
export class Relay {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #joinable = true;
  #end: RelayEnd | undefined;
  readonly #listeners = new Set<RelayListener>();

  constructor(status: number, headers: Record<string, string | string[]>, sofar: readonly Buffer[]) {
    this.status = status;
    this.headers = headers;
    for (const chunk of sofar) this.#keep(chunk);
  }

  /** Whether anyone is listening: a leader whose own client left reads on only for them. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  get joinable(): boolean {
    return this.#joinable;
  }

  push(chunk: Buffer): void {
    if (this.#end) return;
    this.#keep(chunk);
    for (const l of this.#listeners) l.data(chunk);
  }

  end(how: RelayEnd): void {
    if (this.#end) return;
    this.#end = how;
    this.#chunks = [];
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners) l.end(how);
  }

  /**
   * Replays the bytes so far to `listener` and keeps it posted; returns how to leave, or
   * undefined when the start of the stream is no longer kept (nothing was sent to it).
   */
  join(listener: RelayListener): (() => void) | undefined {
    // Over already (its bytes are dropped at the end; the stored entry has them), or too long to
    // replay from its start.
    if (this.#end || !this.#joinable) return undefined;
    // The bytes so far in one piece, kept so for later joiners: one write to the joiner's client,
    // not one per chunk (a long stream's thousands).
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#bytes)];
    if (this.#chunks.length === 1) listener.data(this.#chunks[0]!);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #keep(chunk: Buffer): void {
    if (!this.#joinable) return;
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_CACHEABLE_BYTES) {
      this.#joinable = false;
      this.#chunks = [];
      return;
    }
    this.#chunks.push(chunk);
  }
}
