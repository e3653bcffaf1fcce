import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { cacheKey, customCacheKey } from '../cache/key.ts';
import { cacheTtl, MAX_CACHEABLE_BYTES } from '../cache/policy.ts';
import { replay } from '../cache/replay.ts';
import { storableHeaders } from '../cache/storable-headers.ts';
import type { CachedResponse } from '../cache/types.ts';
import type { AppContext } from '../server/context.ts';
import type { Exchange } from './exchange.ts';
import { keepsPayload } from './log-record.ts';
import type { UpstreamOutcome } from './upstream.ts';

/** Caching as it applies to one request. */
export interface CachePlan {
  ttl: number;
  key: string;
  coalesceKey: string;
  /** Set while this request leads a coalesced call: settle it once, with the stored entry or nothing. */
  settle: ((entry: CachedResponse | undefined) => void) | undefined;
}

export function planCache(ex: Exchange): CachePlan | undefined {
  const ttl = cacheTtl(ex.method, ex.body?.length ?? 0, ex.gateway!, ex.options);
  if (ttl === undefined) return undefined;
  const provider = ex.provider!;
  const key =
    ex.options.cacheKey !== undefined
      ? customCacheKey(ex.options.cacheKey)
      : cacheKey({
          provider: provider.slug,
          endpoint: ex.route.path + ex.route.search,
          model: provider.modelFromRequest(ex.route.path, undefined),
          // A signature the gateway computed changes per request; the credentials it signed with do not.
          credentials: ex.signedWith ? [ex.signedWith] : provider.authHeaders.map((h) => ex.header(h) ?? ''),
          body: ex.body!,
        });
  return {
    ttl,
    key,
    coalesceKey: `${ex.route.accountId}\u0000${ex.gateway!.id}\u0000${key}`,
    settle: undefined,
  };
}

/**
 * A stored entry for this request, waiting for an identical call already under way if there is
 * one; otherwise this request becomes the leader others wait for.
 */
export async function lookupCache(
  app: AppContext,
  ex: Exchange,
  plan: CachePlan,
): Promise<CachedResponse | undefined> {
  const pending = app.coalescer.waitFor(plan.coalesceKey);
  if (pending) return pending;
  plan.settle = app.coalescer.lead(plan.coalesceKey);
  const scope = { accountId: ex.route.accountId, gatewayId: ex.gateway!.id };
  const entry = await app.cache.get(scope, plan.key).catch(() => undefined);
  if (entry) {
    plan.settle(entry);
    plan.settle = undefined;
  }
  return entry;
}

/** Collects a response as it streams to the client, up to the cacheable size. */
export class ResponseRecorder {
  status = 0;
  headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #ends: number[] = [];
  #size = 0;
  #tooBig = false;

  onHead(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer): void {
    if (this.#tooBig) return;
    this.#size += chunk.length;
    if (this.#size > MAX_CACHEABLE_BYTES) {
      this.#tooBig = true;
      this.#chunks = [];
      return;
    }
    this.#chunks.push(chunk);
    this.#ends.push(this.#size);
  }

  /** The entry to store, or undefined when this response must not be cached. */
  entry(
    ex: Exchange,
    outcome: UpstreamOutcome,
    isStream: boolean,
    model: string | null,
  ): CachedResponse | undefined {
    // Only complete 2xx answers with no error inside them: never a 429, a 5xx, an error frame or a cut stream.
    if (outcome.end.kind !== 'complete' || this.#tooBig) return undefined;
    if (this.status < 200 || this.status >= 300 || ex.facts?.error) return undefined;
    const usage = ex.facts?.usage;
    return {
      status: this.status,
      headers: storableHeaders(this.headers),
      body: Buffer.concat(this.#chunks, this.#size),
      frames: isStream ? this.#ends : null,
      provider: ex.provider!.slug,
      model,
      tokensIn: usage?.tokensIn ?? null,
      tokensOut: usage?.tokensOut ?? null,
      storedAt: Date.now(),
    };
  }
}

/** Stores in the background: the client already has its answer, and waiters get it from `settle`. */
export function storeEntry(app: AppContext, ex: Exchange, plan: CachePlan, entry: CachedResponse): void {
  const scope = {
    accountId: ex.route.accountId,
    gatewayId: ex.gateway!.id,
    provider: entry.provider,
    model: entry.model,
  };
  app.cache.set(scope, plan.key, entry, plan.ttl).catch((err: unknown) => {
    app.log('warn', `cache store (${app.cache.name}) failed: ${(err as Error).message}`);
  });
}

/** Answers a hit: the stored head and body, with what the log and metrics need set on the exchange. */
export function serveFromCache(
  app: AppContext,
  ex: Exchange,
  res: ServerResponse,
  entry: CachedResponse,
): void {
  ex.cached = true;
  ex.upstreamHead = entry.headers as IncomingHttpHeaders;
  ex.responseBytes = entry.body.length;
  if (keepsPayload(ex)) ex.capture(entry.body, app.config.logs.maxBodyBytes);
  // The model that answered is the one logged (the same body's, or the cf-aig-cache-key's); no re-parse.
  ex.setModel(entry.model);
  ex.status = entry.status;
  ex.facts = {
    model: entry.model,
    usage: {
      tokensIn: entry.tokensIn,
      tokensOut: entry.tokensOut,
      cachedTokensIn: null,
      cacheWriteTokensIn: null,
      reasoningTokens: null,
    },
    error: null,
  };
  replay(res, entry, ex.responseHeaders(), ex.translation?.transform());
}
