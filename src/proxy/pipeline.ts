import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { replay } from '../cache/replay.ts';
import type { CachedResponse } from '../cache/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { readBody } from '../http/body.ts';
import { headerValue } from '../http/headers.ts';
import { sendGatewayError, toGatewayError } from '../http/respond.ts';
import { applyProviderKey } from '../keys/apply.ts';
import { gatewayWindow, peekGatewayLimit, takeGatewayLimit } from '../limits/gateway-limit.ts';
import { outputCap, refundRuleLimits, releaseRuleLimits, takeRuleLimits } from '../limits/rule-limits.ts';
import { checkSpend, matchSpendRules } from '../limits/spend-limit.ts';
import {
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  resolvePolicy,
  retryDelayMs,
} from '../resilience/policy.ts';
import { waitUnlessClosed } from '../resilience/wait.ts';
import type { AppContext } from '../server/context.ts';
import { endAttempt } from './attempt-end.ts';
import { type CachePlan, lookupCache, planCache, ResponseRecorder, storeEntry } from './cache-stage.ts';
import { compatToNative } from './compat.ts';
import { Exchange } from './exchange.ts';
import { keepsPayload } from './log-record.ts';
import { readOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';
import { authenticate, resolveGateway, resolveProvider, resolveUpstreamUrl } from './stages.ts';
import { ResponseTee } from './tee.ts';
import { parseUniversalRequest } from './universal.ts';
import { type AttemptGate, forward } from './upstream.ts';

/**
 * The life of one request, top to bottom:
 *
 *   gateway → authenticate → options → provider and URL (or the universal steps) → body
 *     → stored provider key (BYOK)
 *     → for each step: cache (HIT: replay and done) → rate limit and spend limits (once per request)
 *         → for each attempt: upstream (stream + tee + record), or wait and try again
 *     → cache store → cost, spend and log (one row per attempt)
 *
 * Every stage either fills in the exchange or throws a GatewayError, which becomes the
 * client's `AiGatewayError` answer. Log records are written in every case, off the response path.
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
    ex.caller = authenticate(app, ex.gateway, ex.gatewayHeaders.get('cf-aig-authorization'));
    ex.options = readOptions(ex.gatewayHeaders);
    if (ex.options.eventId) ex.eventId = ex.options.eventId;
    if (route.provider === undefined) {
      ex.body = await readBody(req, app.config.maxRequestBytes);
      await runUniversal(app, ex, res);
      return;
    }
    let native = route;
    if (route.provider === 'compat') {
      // The OpenAI-format endpoint: the body names the provider; it becomes a native request.
      const compat = compatToNative(route, await readBody(req, app.config.maxRequestBytes));
      native = compat.route;
      ex.route = native;
      ex.compat = true;
      ex.body = compat.body;
    }
    ex.provider = resolveProvider(app, native);
    const url = resolveUpstreamUrl(app, ex.provider, native);
    ex.body ??= await readBody(req, app.config.maxRequestBytes);
    applyProviderKey(app.providerKeys, {
      accountId: route.accountId,
      gateway: ex.gateway,
      provider: ex.provider,
      options: ex.options,
      headers: ex.forwardHeaders,
      method: ex.method,
      path: native.path,
      url,
      body: ex.body,
    });
    const outcome = await runStep(app, ex, res, url, resolvePolicy(ex.gateway, ex.options), true);
    if (outcome === 'answered') return;
    if (outcome.tried.length === 1) throw outcome.error;
    throw new GatewayError(
      outcome.error.errorName,
      `${outcome.tried.length} attempts failed (${outcome.tried.join('; ')}); the last: ${outcome.error.detail}`,
    );
  } catch (err) {
    const gatewayError = toGatewayError(err);
    if (!(err instanceof GatewayError))
      app.log('error', `request ${ex.logId} failed: ${(err as Error).stack}`);
    ex.failWith(gatewayError);
    // A request rejected before its body was read leaves it unread; drain it so keep-alive works.
    if (!req.readableEnded) req.resume();
    sendGatewayError(res, gatewayError, ex.responseHeaders() as Record<string, string>);
  } finally {
    endAttempt(app, ex);
    if (ex.rules && ex.rules.length > 0) {
      releaseRuleLimits(app.limits, ex.rules).catch((err: unknown) => {
        app.log('warn', `releasing token reservations: ${(err as Error).message}`);
      });
    }
  }
}

/**
 * The limits a request counts against, once, after a cache miss: the finer `rate_limits` rules,
 * the spend rules (checked only: cost is charged after), then the gateway's own limit. A request
 * refused by a later one gets back what the rules took.
 */
async function countRequest(
  app: AppContext,
  ex: Exchange,
  window: ReturnType<typeof gatewayWindow>,
): Promise<void> {
  const what = { provider: ex.provider!.slug, model: ex.model() };
  const metadata = ex.options.metadata;
  const rules = await takeRuleLimits(
    app.limits,
    ex.gateway!,
    { ...what, tokenId: ex.caller, metadata },
    outputCap(ex.json()),
  );
  try {
    ex.spend = matchSpendRules(ex.gateway!, { ...what, metadata });
    if (ex.spend.length > 0) await checkSpend(app.limits, ex.spend, what);
    if (window) ex.limitHeaders = await takeGatewayLimit(app.limits, ex.gateway!, window);
  } catch (err) {
    await refundRuleLimits(app.limits, rules);
    ex.rules = [];
    throw err;
  }
  ex.rules = rules;
}

/** `POST /v1/{account}/{gateway}`: steps in order, each with its own retries, until one answers. */
async function runUniversal(app: AppContext, ex: Exchange, res: ServerResponse): Promise<void> {
  const steps = parseUniversalRequest(app, ex.route, ex.gatewayHeaders, ex.body);
  for (const step of steps) {
    try {
      applyProviderKey(app.providerKeys, {
        accountId: ex.route.accountId,
        gateway: ex.gateway!,
        provider: step.provider,
        options: step.options,
        headers: step.forwardHeaders,
        method: 'POST',
        path: step.route.path,
        url: step.url,
        body: step.body,
      });
    } catch (err) {
      throw err instanceof GatewayError ? err.within(`step ${step.index}`) : err;
    }
  }
  const failures: string[] = [];
  let last: GatewayError | undefined;
  for (const step of steps) {
    ex.useStep(step);
    const isLast = step.index === steps.length - 1;
    const outcome = await runStep(
      app,
      ex,
      res,
      step.url,
      resolvePolicy(ex.gateway!, step.options, step.config),
      isLast,
    );
    if (outcome === 'answered') return;
    failures.push(`step ${step.index} (${step.provider.slug}): ${outcome.tried.join('; ')}`);
    last = outcome.error;
    endAttempt(app, ex);
  }
  // Every attempt has its row; the error answer names them all and belongs to no single step.
  ex.logged = true;
  ex.step = null;
  throw new GatewayError(
    last?.errorName ?? 'upstreamUnreachable',
    `all ${steps.length} steps failed: ${failures.join('; ')}`,
  );
}

/** A step that found no answer: what each attempt got, and the error to give if nothing follows. */
interface StepFailure {
  tried: string[];
  error: GatewayError;
}

/**
 * One step: a cache lookup, then up to `policy.maxAttempts` calls. Every attempt but the last
 * is logged here; the caller logs the last. A coalescing leader settles in every case.
 */
async function runStep(
  app: AppContext,
  ex: Exchange,
  res: ServerResponse,
  url: URL,
  policy: RetryPolicy,
  isLastStep: boolean,
): Promise<'answered' | StepFailure> {
  const window = gatewayWindow(ex.gateway!);
  const cache = planCache(ex);
  if (cache) {
    const hit = await lookupCache(app, ex, cache);
    if (hit) {
      if (window && !ex.limitHeaders)
        ex.limitHeaders = await peekGatewayLimit(app.limits, ex.gateway!, window);
      serveFromCache(app, ex, res, hit);
      return 'answered';
    }
  }
  let stored: CachedResponse | undefined;
  const tried: string[] = [];
  try {
    // Counted once per request, after the cache: hits, retries and fallback steps do not count.
    const s = ex.gateway!.settings;
    // Most gateways have no limits at all: nothing to count, no promise to wait for.
    if (!ex.rules && (window || s.rate_limits || s.spend_limits?.rules?.length))
      await countRequest(app, ex, window);
    for (;;) {
      const lastAttempt = ex.attempt >= policy.maxAttempts;
      const gate = lastAttempt && isLastStep ? undefined : attemptGate(lastAttempt, isLastStep);
      const result = await attempt(app, ex, url, res, cache, policy.timeoutMs, gate);
      if (result.kind === 'answered') {
        stored = result.stored;
        return 'answered';
      }
      tried.push(result.what);
      if (lastAttempt || !result.retryable) return { tried, error: result.error };
      const wait = retryDelayMs(policy, ex.attempt + 1, result.retryAfterMs);
      endAttempt(app, ex);
      ex.beginAttempt();
      if (!(await waitUnlessClosed(res, wait))) {
        ex.status = 499;
        ex.error = 'client disconnected while waiting to retry';
        return 'answered';
      }
    }
  } finally {
    cache?.settle?.(stored);
  }
}

/** Another attempt follows this one: errors worth retrying (or any error, when a step follows) stay hidden. */
function attemptGate(lastAttempt: boolean, isLastStep: boolean): AttemptGate {
  return {
    rejectStatus: (status) => status >= 400 && ((!lastAttempt && isRetryableStatus(status)) || !isLastStep),
    holdStreams: true,
  };
}

type AttemptResult =
  | { kind: 'answered'; stored: CachedResponse | undefined }
  | {
      kind: 'failed';
      what: string;
      retryable: boolean;
      retryAfterMs: number | undefined;
      error: GatewayError;
    };

function serveFromCache(app: AppContext, ex: Exchange, res: ServerResponse, entry: CachedResponse): void {
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
  replay(res, entry, ex.responseHeaders());
}

/**
 * One upstream call, streamed to the client as it arrives and read on the way (usage, errors);
 * with a cache plan, also recorded and stored when cacheable. A call the gate refused, or that
 * failed before any byte reached the client, comes back as `failed` for the step to decide on.
 */
async function attempt(
  app: AppContext,
  ex: Exchange,
  url: URL,
  res: ServerResponse,
  cache: CachePlan | undefined,
  timeoutMs: number | undefined,
  gate: AttemptGate | undefined,
): Promise<AttemptResult> {
  const provider = ex.provider!;
  let tee: ResponseTee | undefined;
  const recorder = cache ? new ResponseRecorder() : undefined;
  const payloadLimit = keepsPayload(ex) ? app.config.logs.maxBodyBytes : 0;
  const extraHeaders = ex.responseHeaders();
  if (cache) extraHeaders['cf-aig-cache-status'] = 'MISS';
  const upstreamStart = performance.now();
  const outcome = await forward(
    app.dispatcher,
    {
      url,
      method: ex.method,
      headers: ex.forwardHeaders,
      body: ex.body && ex.body.length > 0 ? ex.body : null,
      headersTimeoutMs: app.config.upstream.headersTimeoutMs,
      bodyTimeoutMs: app.config.upstream.bodyTimeoutMs,
      firstByteTimeoutMs: timeoutMs,
      gate,
    },
    res,
    extraHeaders,
    {
      onHead: (status, headers) => {
        ex.status = status;
        ex.upstreamHead = headers;
        const ct = headers['content-type'];
        tee = new ResponseTee(provider, Array.isArray(ct) ? ct[0] : ct);
        recorder?.onHead(status, headers);
      },
      onData: (chunk) => {
        tee!.push(chunk);
        if (payloadLimit > 0) ex.capture(chunk, payloadLimit);
        recorder?.onData(chunk);
      },
      verdict: (atEnd) => {
        if (tee!.streamError() !== null) return 'reject';
        return tee!.events > 0 || atEnd ? 'commit' : 'wait';
      },
    },
  );
  ex.upstreamMs = performance.now() - upstreamStart;
  if (tee) ex.facts = tee.finish();
  ex.responseBytes = outcome.sent;

  const end = outcome.end;
  switch (end.kind) {
    case 'complete': {
      const entry = cache && recorder?.entry(ex, outcome, tee?.isStream ?? false, ex.model());
      if (cache && entry) storeEntry(app, ex, cache, entry);
      return { kind: 'answered', stored: entry };
    }
    case 'client-aborted':
      // 499 is the de-facto "client closed request" status; the log says so plainly.
      ex.status = ex.status || 499;
      ex.error = 'client disconnected before the response finished';
      return { kind: 'answered', stored: undefined };
    case 'failed-mid-response':
      ex.error = `${provider.slug} response cut off after ${outcome.sent} bytes: ${end.message}`;
      endBrokenResponse(res, tee, end.message);
      return { kind: 'answered', stored: undefined };
    case 'rejected': {
      ex.status = end.status;
      ex.error ??= ex.facts?.error
        ? `error event: ${ex.facts.error}`
        : `${provider.slug} answered ${end.status}`;
      const retryAfterMs = outcome.headers
        ? parseRetryAfter(
            headerValue(outcome.headers, 'retry-after-ms'),
            headerValue(outcome.headers, 'retry-after'),
          )
        : undefined;
      return {
        kind: 'failed',
        what: end.status >= 300 ? String(end.status) : 'error event in stream',
        retryable: end.status < 300 || isRetryableStatus(end.status),
        retryAfterMs,
        error: new GatewayError('upstreamUnreachable', `${provider.slug} answered ${end.status}`),
      };
    }
    case 'failed-before-response': {
      const error = new GatewayError(
        end.error === 'timeout' ? 'upstreamTimeout' : 'upstreamUnreachable',
        `${provider.slug} (${url.host}): ${end.message}`,
      );
      ex.failWith(error);
      return { kind: 'failed', what: end.message, retryable: true, retryAfterMs: undefined, error };
    }
  }
}

/**
 * The upstream broke after bytes reached the client. A stream ends with an error frame in its own
 * dialect, so the client's SDK raises instead of returning a truncated answer as complete; any
 * other body is cut off, which every HTTP client reports as an error.
 */
function endBrokenResponse(res: ServerResponse, tee: ResponseTee | undefined, message: string): void {
  if (tee?.isStream && !res.destroyed) {
    res.end(tee.terminalFrame(`upstream stream interrupted: ${message}`));
    return;
  }
  res.destroy();
}
