import type { LogRowRead } from './queries.ts';

/** How many of the ids sent last are remembered, to skip them when a gap is filled. */
const RECENT_IDS = 10_000;

type Listener = (rows: readonly LogRowRead[]) => void;

/**
 * Where live-tail clients get entries: each client listens to one gateway; this node's writer
 * publishes what it stores, and on Postgres so do the other nodes' batches (read back by `seq`),
 * so a tail on any node shows every node's traffic.
 */
export class LogTailHub {
  readonly #listeners = new Map<Listener, { accountId: string; gatewayId: string; end: () => void }>();
  /** Ids sent lately, so that rows read back to fill a gap are not sent twice. */
  readonly #recent = new Set<string>();

  /** `end` closes the client's stream: called when the gateway shuts down. */
  subscribe(accountId: string, gatewayId: string, listener: Listener, end: () => void): () => void {
    this.#listeners.set(listener, { accountId, gatewayId, end });
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Ends every tail stream. They never finish by themselves, so a shutdown that waited for them as
   * for other requests would always wait out its whole grace period; their clients reconnect.
   */
  endAll(): void {
    for (const { end } of [...this.#listeners.values()]) end();
    this.#listeners.clear();
  }

  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  /** The gateways someone is tailing now; empty when no one is, so nothing need be read for them. */
  gateways(): Array<{ accountId: string; gatewayId: string }> {
    const seen = new Map<string, { accountId: string; gatewayId: string }>();
    for (const g of this.#listeners.values()) seen.set(`${g.accountId}\u0000${g.gatewayId}`, g);
    return [...seen.values()];
  }

  publish(rows: readonly LogRowRead[]): void {
    if (this.#listeners.size === 0) return;
    for (const r of rows) {
      this.#recent.add(r.id);
      // A Set iterates in insertion order: the first is the oldest.
      if (this.#recent.size > RECENT_IDS) this.#recent.delete(this.#recent.values().next().value!);
    }
    // A copy: a listener may unsubscribe (a client too far behind) while we go through them.
    for (const [listener, g] of [...this.#listeners]) {
      const mine = rows.filter((r) => r.account_id === g.accountId && r.gateway_id === g.gatewayId);
      if (mine.length > 0) listener(mine);
    }
  }

  /** Rows that may have been missed (read back after a lost connection): those not sent already. */
  publishMissed(rows: readonly LogRowRead[]): void {
    this.publish(rows.filter((r) => !this.#recent.has(r.id)));
  }
}
