import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Leader } from '../cache/coalesce.ts';
import { cacheKey, customCacheKey } from '../cache/key.ts';
import { cacheTtl, MAX_CACHEABLE_BYTES } from '../cache/policy.ts';
import type { Relay } from '../cache/relay.ts';
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
  /** Set with `settle`: passes a streamed answer on to the waiters as it arrives. */
  relay: Leader['relay'] | undefined;
  /** The write of this request's answer to the store, once it has begun. */
  storing: Promise<void> | undefined;
}

/** Where a request that caching applies to gets its answer without a call of its own. */
export type CacheFound =
  | { entry: CachedResponse }
  | { relay: Relay; settled: Promise<CachedResponse | undefined> };

export function planCache(ex: Exchange): CachePlan | undefined {
  const ttl = cacheTtl(ex.method, ex.body?.length ?? 0, ex.gateway!, ex.options);
  ex.cacheKey = null;
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
  ex.cacheKey = key;
  return {
    ttl,
    key,
    coalesceKey: `${ex.route.accountId}\u0000${ex.gateway!.id}\u0000${key}`,
    settle: undefined,
    relay: undefined,
    storing: undefined,
  };
}

/**
 * A stored entry for this request, or the stream of an identical call already under way, if
 * there is one; otherwise this request becomes the leader others wait for.
 */
export async function lookupCache(
  app: AppContext,
  ex: Exchange,
  plan: CachePlan,
): Promise<CacheFound | undefined> {
  const pending = app.coalescer.waitFor(plan.coalesceKey);
  if (pending) {
    const news = await pending;
    if (news.kind === 'relay') return news;
    return news.entry && { entry: news.entry };
  }
  const leader = app.coalescer.lead(plan.coalesceKey);
  plan.settle = leader.settle;
  plan.relay = leader.relay;
  const scope = { accountId: ex.route.accountId, gatewayId: ex.gateway!.id };
  const entry = await app.cache.get(scope, plan.key).catch(() => undefined);
  if (entry) return settled(plan, entry);
  // A store that every node shares: which of them makes the call (a hit never gets here).
  const claim = await app.cache.claim?.(scope, plan.key).catch(() => undefined);
  if (!claim) return undefined;
  if (claim.kind === 'lead') {
    leadAcrossNodes(plan, claim.release);
    return undefined;
  }
  // Another node is making this call: read its answer once it is done, if it was stored (not an
  // error, not a stream followed live there); otherwise make this node's own call. Or it has
  // stored it just now.
  if (claim.kind === 'follow') await claim.done;
  const stored = await app.cache.get(scope, plan.key).catch(() => undefined);
  return stored ? settled(plan, stored) : undefined;
}

/** This request's lookup found the entry: so do the requests waiting on it here. */
function settled(plan: CachePlan, entry: CachedResponse): CacheFound {
  plan.settle!(entry);
  plan.settle = undefined;
  plan.relay = undefined;
  return { entry };
}

/**
 * This node makes the call other nodes wait for: it lets them go once its answer is in the store
 * (or will not be), or as soon as the answer turns out to be a stream. A stream is followed live
 * only on its own node; elsewhere waiting for its end would delay the first token by the whole
 * generation, so the other nodes make their own calls.
 */
function leadAcrossNodes(plan: CachePlan, release: () => void): void {
  const settleHere = plan.settle!;
  const relayHere = plan.relay!;
  plan.settle = (entry) => {
    settleHere(entry);
    if (plan.storing) void plan.storing.finally(release);
    else release();
  };
  plan.relay = (status, headers, sofar) => {
    release();
    return relayHere(status, headers, sofar);
  };
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

  /** The body so far (empty once it is too big to cache). */
  get chunks(): readonly Buffer[] {
    return this.#chunks;
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
  plan.storing = app.cache.set(scope, plan.key, entry, plan.ttl).catch((err: unknown) => {
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
  ex.status = entry.status;
  answeredBy(ex, entry.model, entry.tokensIn, entry.tokensOut);
  replay(res, entry, ex.responseHeaders(), ex.translation?.transform());
}

/** A hit's facts: the original answer's model (no re-parse) and token counts. */
function answeredBy(
  ex: Exchange,
  model: string | null,
  tokensIn: number | null,
  tokensOut: number | null,
): void {
  ex.setModel(model);
  ex.facts = {
    model,
    usage: { tokensIn, tokensOut, cachedTokensIn: null, cacheWriteTokensIn: null, reasoningTokens: null },
    error: null,
  };
}

/**
 * Answers from an identical call's stream as it arrives: its head, the bytes so far, then each
 * chunk and the end, the way a hit replays a stored stream. Resolves once this response is over;
 * false (nothing sent) when the stream can no longer be joined from its start.
 */
export function serveRelayed(
  app: AppContext,
  ex: Exchange,
  res: ServerResponse,
  relay: Relay,
): Promise<boolean> {
  return new Promise((resolve) => {
    const transform = ex.translation?.transform();
    const keep = keepsPayload(ex) ? app.config.logs.maxBodyBytes : 0;
    let headSent = false;
    const head = () => {
      if (headSent) return;
      headSent = true;
      ex.cached = true;
      ex.status = relay.status;
      ex.upstreamHead = relay.headers as IncomingHttpHeaders;
      const headers: OutgoingHttpHeaders = {
        ...relay.headers,
        ...ex.responseHeaders(),
        'cf-aig-cache-status': 'HIT',
      };
      res.writeHead(relay.status, transform ? transform.head(relay.status, headers) : headers);
      res.flushHeaders();
    };
    let leave: (() => void) | undefined;
    const finish = () => {
      res.off('close', onClose);
      leave?.();
      resolve(true);
    };
    const onClose = () => {
      if (res.writableFinished) return;
      ex.status = 499;
      ex.error = 'client disconnected before the response finished';
      finish();
    };
    // Joining replays the bytes so far at once; a refusal comes before any.
    leave = relay.join({
      data(chunk) {
        head();
        ex.responseBytes += chunk.length;
        if (keep > 0) ex.capture(chunk, keep);
        if (!res.destroyed) res.write(transform ? transform.data(chunk) : chunk);
      },
      end(how) {
        head();
        if (how.kind === 'complete') {
          answeredBy(ex, how.model, how.tokensIn, how.tokensOut);
          if (!res.destroyed) res.end(transform ? transform.end() : undefined);
        } else {
          ex.error = `the shared call's stream was cut off: ${how.message}`;
          if (!res.destroyed) res.end(transform ? transform.abort(how.message) : how.frame);
        }
        finish();
      },
    });
    if (!leave) {
      resolve(false);
      return;
    }
    head();
    res.on('close', onClose);
  });
}
