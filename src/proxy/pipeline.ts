import type { IncomingMessage, ServerResponse } from 'node:http';
import { replay } from '../cache/replay.ts';
import type { CachedResponse } from '../cache/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { readBody } from '../http/body.ts';
import { sendGatewayError, toGatewayError } from '../http/respond.ts';
import type { AppContext } from '../server/context.ts';
import { type CachePlan, lookupCache, planCache, ResponseRecorder, storeEntry } from './cache-stage.ts';
import { Exchange } from './exchange.ts';
import { recordLog } from './log-record.ts';
import { readOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';
import { authenticate, resolveGateway, resolveProvider, resolveUpstreamUrl } from './stages.ts';
import { ResponseTee } from './tee.ts';
import { forward } from './upstream.ts';

/**
 * The life of one provider-native request, top to bottom:
 *
 *   gateway → authenticate → options → provider → upstream URL → body
 *     → cache (HIT: replay and done) → upstream (stream + tee + record) → cache store → log
 *
 * Every stage either fills in the exchange or throws a GatewayError, which becomes the
 * client's `AiGatewayError` answer. The log record is written in every case, off the response path.
 */
export async function handleProviderRequest(
  app: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: DataPlaneRoute,
): Promise<void> {
  const ex = new Exchange(req, route);
  try {
    ex.gateway = await resolveGateway(app, route);
    authenticate(app, ex.gateway, ex.gatewayHeaders.get('cf-aig-authorization'));
    ex.options = readOptions(ex.gatewayHeaders);
    if (ex.options.eventId) ex.eventId = ex.options.eventId;
    ex.provider = resolveProvider(app, route);
    const url = resolveUpstreamUrl(app, ex.provider, route);
    ex.body = await readBody(req, app.config.maxRequestBytes);
    const cache = planCache(ex);
    if (cache) {
      const hit = await lookupCache(app, ex, cache);
      if (hit) return serveFromCache(ex, res, hit);
    }
    await callProvider(app, ex, url, res, cache);
  } catch (err) {
    const gatewayError = toGatewayError(err);
    if (!(err instanceof GatewayError))
      app.log('error', `request ${ex.logId} failed: ${(err as Error).stack}`);
    ex.failWith(gatewayError);
    // A request rejected before its body was read leaves it unread; drain it so keep-alive works.
    if (!req.readableEnded) req.resume();
    sendGatewayError(res, gatewayError, ex.responseHeaders() as Record<string, string>);
  } finally {
    ex.finish();
    recordLog(app, ex);
  }
}

function serveFromCache(ex: Exchange, res: ServerResponse, entry: CachedResponse): void {
  ex.cached = true;
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
  replay(res, entry, ex.responseHeaders());
}

/**
 * Streams the provider's answer to the client, reading usage on the way; with a cache plan, also
 * records it and stores it when it is cacheable. A coalescing leader settles in every case.
 */
async function callProvider(
  app: AppContext,
  ex: Exchange,
  url: URL,
  res: ServerResponse,
  cache: CachePlan | undefined,
): Promise<void> {
  let stored: CachedResponse | undefined;
  try {
    stored = await streamUpstream(app, ex, url, res, cache);
  } finally {
    cache?.settle?.(stored);
  }
}

async function streamUpstream(
  app: AppContext,
  ex: Exchange,
  url: URL,
  res: ServerResponse,
  cache: CachePlan | undefined,
): Promise<CachedResponse | undefined> {
  const provider = ex.provider!;
  let tee: ResponseTee | undefined;
  const recorder = cache ? new ResponseRecorder() : undefined;
  const extraHeaders = ex.responseHeaders();
  if (cache) extraHeaders['cf-aig-cache-status'] = 'MISS';
  const outcome = await forward(
    app.dispatcher,
    {
      url,
      method: ex.method,
      headers: ex.forwardHeaders,
      body: ex.body && ex.body.length > 0 ? ex.body : null,
      headersTimeoutMs: app.config.upstream.headersTimeoutMs,
      bodyTimeoutMs: app.config.upstream.bodyTimeoutMs,
    },
    res,
    extraHeaders,
    {
      onHead: (status, headers) => {
        ex.status = status;
        const ct = headers['content-type'];
        tee = new ResponseTee(provider, Array.isArray(ct) ? ct[0] : ct);
        recorder?.onHead(status, headers);
      },
      onData: (chunk) => {
        tee!.push(chunk);
        recorder?.onData(chunk);
      },
    },
  );
  if (tee) ex.facts = tee.finish();

  switch (outcome.end.kind) {
    case 'complete': {
      const entry = cache && recorder?.entry(ex, outcome, tee?.isStream ?? false, ex.model());
      if (cache && entry) storeEntry(app, ex, cache, entry);
      return entry;
    }
    case 'client-aborted':
      // 499 is the de-facto "client closed request" status; the log says so plainly.
      ex.status = ex.status || 499;
      ex.error = 'client disconnected before the response finished';
      return undefined;
    case 'failed-mid-response':
      ex.error = `${provider.slug} response cut off: ${outcome.end.message}`;
      res.destroy();
      return undefined;
    case 'failed-before-response':
      throw new GatewayError(
        outcome.end.error === 'timeout' ? 'upstreamTimeout' : 'upstreamUnreachable',
        `${provider.slug} (${url.host}): ${outcome.end.message}`,
      );
  }
}
