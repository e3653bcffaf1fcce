import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedResponse } from '../cache/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { readBody } from '../http/body.ts';
import { sendGatewayError, toGatewayError } from '../http/respond.ts';
import { applyProviderKey } from '../keys/apply.ts';
import { gatewayWindow, peekGatewayLimit, takeGatewayLimit } from '../limits/gateway-limit.ts';
import { outputCap, refundRuleLimits, releaseRuleLimits, takeRuleLimits } from '../limits/rule-limits.ts';
import { checkSpend, matchSpendRules } from '../limits/spend-limit.ts';
import { type RetryPolicy, resolvePolicy, retryDelayMs } from '../resilience/policy.ts';
import { waitUnlessClosed } from '../resilience/wait.ts';
import type { AppContext } from '../server/context.ts';
import { attempt, attemptGate } from './attempt.ts';
import { endAttempt } from './attempt-end.ts';
import { lookupCache, planCache, serveFromCache, serveRelayed } from './cache-stage.ts';
import { compatToNative } from './compat.ts';
import { useServiceAccount } from './compat-credentials.ts';
import { Exchange } from './exchange.ts';
import { readOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';
import { authenticate, resolveGateway, resolveProvider, resolveUpstreamUrl } from './stages.ts';
import { parseUniversalRequest } from './universal.ts';

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
      const compat = compatToNative(
        route,
        await readBody(req, app.config.maxRequestBytes),
        ex.forwardHeaders,
        ex.requestId,
        app.config.allowHttpHosts,
      );
      native = compat.route;
      ex.route = native;
      ex.compat = true;
      ex.translation = compat.translation;
      ex.useBody(compat.body, compat.json);
      if (compat.serviceAccount) {
        await useServiceAccount(app, ex.forwardHeaders, compat.serviceAccount);
        // The access token rotates hourly; the key it stands for is the caller.
        ex.signedWith = `${compat.serviceAccount.clientEmail}\u0000${compat.serviceAccount.privateKey}`;
      }
    }
    ex.provider = resolveProvider(app, native);
    const url = resolveUpstreamUrl(app, ex.provider, native);
    ex.body ??= await readBody(req, app.config.maxRequestBytes);
    const signed = applyProviderKey(app.providerKeys, {
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
    if (signed !== undefined) ex.signedWith = signed;
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
      step.signedWith = applyProviderKey(app.providerKeys, {
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
  // Every attempt is accounted for; the error answer names them all and belongs to no single step.
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
    const found = await lookupCache(app, ex, cache);
    if (found) {
      if (window && !ex.limitHeaders)
        ex.limitHeaders = await peekGatewayLimit(app.limits, ex.gateway!, window);
      if ('entry' in found) {
        serveFromCache(app, ex, res, found.entry);
        return 'answered';
      }
      // An identical call's stream, followed as it arrives; too long to join, then what it stored.
      if (await serveRelayed(app, ex, res, found.relay)) return 'answered';
      const entry = await found.settled;
      if (entry) {
        serveFromCache(app, ex, res, entry);
        return 'answered';
      }
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
