import type { LogRowRead } from './queries.ts';

type Listener = (rows: readonly LogRowRead[]) => void;

/**
 * Where live-tail clients get entries: each client listens to one gateway; this node's writer
 * publishes what it stores, and on Postgres so do the other nodes' batches (read back by `seq`),
 * so a tail on any node shows every node's traffic.
 */
export class LogTailHub {
  readonly #listeners = new Map<Listener, { accountId: string; gatewayId: string; end: () => void }>();

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
    // A copy: a listener may unsubscribe (a client too far behind) while we go through them.
    for (const [listener, g] of [...this.#listeners]) {
      const mine = rows.filter((r) => r.account_id === g.accountId && r.gateway_id === g.gatewayId);
      if (mine.length > 0) listener(mine);
    }
  }
}
