/** A stored response: what a later identical request gets back as a HIT. */
export interface CachedResponse {
  status: number;
  /** Response headers as stored: no hop-by-hop or per-request ones (see `storable-headers.ts`). */
  headers: Record<string, string | string[]>;
  /** The whole body; for a stream, the raw SSE bytes as the provider sent them. */
  body: Buffer;
  /** For a stream: the end offset of each SSE frame in `body`, so a HIT replays frame by frame. */
  frames: number[] | null;
  /** What the original response was, for the HIT's log row. */
  provider: string;
  model: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  storedAt: number;
}

/**
 * - `lead`: this node makes the call; `release` once its answer is stored or will not be (the
 *   claim is kept up while the call runs, and lapses within seconds if the node dies);
 * - `follow`: another node is making it; `done` resolves once that node has released it (or died,
 *   or the store stopped answering), and the entry is there to read if it was stored.
 */
export type NodeClaim = { kind: 'lead'; release(): void } | { kind: 'follow'; done: Promise<void> };

/**
 * Which entries a purge removes: a gateway's, optionally only one provider's and/or model's, or
 * the one entry with this key (a digest, as a log's `cache_key` shows it; never with the others).
 */
export interface PurgeFilter {
  accountId: string;
  gatewayId: string;
  provider?: string;
  model?: string;
  key?: string;
}

/** Where an entry lives; stores index by these so purges by gateway, provider and model are cheap. */
export interface EntryScope {
  accountId: string;
  gatewayId: string;
  provider: string;
  model: string | null;
}

/**
 * A cache store. `key` is already a SHA-256 hex digest (never a secret in clear); stores namespace
 * it by the scope's account and gateway. Every store must pass `test/cache/store-contract.ts`.
 */
export interface CacheStore {
  readonly name: 'memory' | 'sqlite' | 'redis';
  get(scope: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string): Promise<CachedResponse | undefined>;
  set(scope: EntryScope, key: string, entry: CachedResponse, ttlSeconds: number): Promise<void>;
  /** When a live entry expires (epoch ms), for the API that shows an entry; undefined when there is none. */
  expiresAt(scope: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string): Promise<number | undefined>;
  /** Returns how many entries were removed. */
  purge(filter: PurgeFilter): Promise<number>;
  /**
   * What the store holds now, expired entries not yet swept included (they take the space until
   * then), for `/metrics`; stores that cannot tell cheaply (Redis, shared by every node) leave it out.
   */
  held?(): { entries: number; bytes: number };
  /**
   * Stores that every node shares, after `get` found nothing: which node makes the call for the
   * entry, so that identical requests reaching different nodes at once call the provider once (or
   * `stored`: it was stored since). Undefined when the store does not answer: the caller then
   * makes its call.
   */
  claim?(
    scope: Pick<EntryScope, 'accountId' | 'gatewayId'>,
    key: string,
  ): Promise<NodeClaim | { kind: 'stored' } | undefined>;
  close(): Promise<void>;
}

/** A store's own id for an entry: the key within its account and gateway. */
export const entryId = (scope: Pick<EntryScope, 'accountId' | 'gatewayId'>, key: string): string =>
  `${scope.accountId}\u0000${scope.gatewayId}\u0000${key}`;

/** Whether a purge takes the entry with this scope and key. */
export function purgeTakes(filter: PurgeFilter, scope: EntryScope, key: string): boolean {
  if (scope.accountId !== filter.accountId || scope.gatewayId !== filter.gatewayId) return false;
  if (filter.key !== undefined && key !== filter.key) return false;
  if (filter.provider !== undefined && scope.provider !== filter.provider) return false;
  return filter.model === undefined || scope.model === filter.model;
}
