import type { LogRowRead } from './queries.ts';

type Listener = (rows: readonly LogRowRead[]) => void;

/**
 * Where live-tail clients get entries: each client listens to one gateway; this node's writer
 * publishes what it stores, and on Postgres so do the other nodes' batches (read back by `seq`),
 * so a tail on any node shows every node's traffic.
 */
export class LogTailHub {
  readonly #listeners = new Map<Listener, { accountId: string; gatewayId: string }>();

  subscribe(accountId: string, gatewayId: string, listener: Listener): () => void {
    this.#listeners.set(listener, { accountId, gatewayId });
    return () => {
      this.#listeners.delete(listener);
    };
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
