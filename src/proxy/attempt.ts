import type { ServerResponse } from 'node:http';
import type { Relay } from '../cache/relay.ts';
import { storableHeaders } from '../cache/storable-headers.ts';
import type { CachedResponse } from '../cache/types.ts';
import { endTransformed } from '../compat/body-transform.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { headerValue } from '../http/headers.ts';
import { isRetryableStatus, parseRetryAfter } from '../resilience/policy.ts';
import type { AppContext } from '../server/context.ts';
import { type CachePlan, ResponseRecorder, storeEntry } from './cache-stage.ts';
import type { Exchange } from './exchange.ts';
import { keepsPayload } from './log-record.ts';
import { ResponseTee } from './tee.ts';
import { type AttemptGate, forward } from './upstream.ts';

export /** Another attempt follows this one: errors worth retrying (or any error, when a step follows) stay hidden. */
function attemptGate(lastAttempt: boolean, isLastStep: boolean): AttemptGate {
  return {
    rejectStatus: (status) => status >= 400 && ((!lastAttempt && isRetryableStatus(status)) || !isLastStep),
    holdStreams: true,
  };
}

export type AttemptResult =
  | { kind: 'answered'; stored: CachedResponse | undefined }
  | {
      kind: 'failed';
      what: string;
      retryable: boolean;
      retryAfterMs: number | undefined;
      error: GatewayError;
    };

/**
 * One upstream call, streamed to the client as it arrives and read on the way (usage, errors);
 * with a cache plan, also recorded and stored when cacheable. A call the gate refused, or that
 * failed before any byte reached the client, comes back as `failed` for the step to decide on.
 */
export async function attempt(
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
  const transform = ex.translation?.transform();
  // Set once a leader's 2xx stream is committed to its client: identical requests follow it.
  let relay: Relay | undefined;
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
      transform,
      keepReading: () => relay?.listening === true,
    },
    res,
    extraHeaders,
    {
      onHead: (status, headers) => {
        ex.status = status;
        ex.upstreamHead = headers;
        const ct = headers['content-type'];
        tee = new ResponseTee(provider, Array.isArray(ct) ? ct[0] : ct);
        ex.upstreamStreamed = tee.isStream;
        recorder?.onHead(status, headers);
      },
      onData: (chunk) => {
        ex.upstreamFirstByteMs ??= performance.now() - upstreamStart;
        tee!.push(chunk);
        if (payloadLimit > 0) ex.capture(chunk, payloadLimit);
        recorder?.onData(chunk);
        relay?.push(chunk);
      },
      verdict: (atEnd) => {
        if (tee!.streamError() !== null) return 'reject';
        return tee!.events > 0 || atEnd ? 'commit' : 'wait';
      },
      onCommit: () => {
        if (!cache?.relay || !recorder || !tee?.isStream || ex.status < 200 || ex.status >= 300) return;
        relay = cache.relay(ex.status, storableHeaders(recorder.headers), recorder.chunks);
      },
    },
  );
  ex.upstreamMs = performance.now() - upstreamStart;
  if (tee) ex.facts = tee.finish();
  ex.responseBytes = outcome.sent;

  const end = outcome.end;
  if (outcome.clientGone) clientLeft(ex);
  switch (end.kind) {
    case 'complete': {
      const untranslatable = transform?.failure();
      if (untranslatable !== undefined) {
        // The client got a 502 for an answer /compat could not rewrite; storing it would repeat that.
        ex.status = 502;
        ex.error = untranslatable;
      }
      const entry =
        untranslatable === undefined
          ? cache && recorder?.entry(ex, outcome, tee?.isStream ?? false, ex.model())
          : undefined;
      if (cache && entry) storeEntry(app, ex, cache, entry);
      const usage = ex.facts?.usage;
      relay?.end({
        kind: 'complete',
        entry,
        model: ex.model(),
        tokensIn: usage?.tokensIn ?? null,
        tokensOut: usage?.tokensOut ?? null,
      });
      return { kind: 'answered', stored: entry };
    }
    case 'client-aborted':
      clientLeft(ex);
      relay?.end({ kind: 'broken', message: 'the call was cancelled', frame: streamEnd(tee, 'cancelled') });
      return { kind: 'answered', stored: undefined };
    case 'failed-mid-response':
      relay?.end({ kind: 'broken', message: end.message, frame: streamEnd(tee, end.message) });
      ex.error = `${provider.slug} response cut off after ${outcome.sent} bytes: ${end.message}`;
      if (transform && !res.destroyed) {
        endTransformed(res, transform, transform.abort(end.message));
        if (transform.failure() !== undefined) ex.status = 502;
      } else endBrokenResponse(res, tee, end.message);
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

/** 499 is the de-facto "client closed request" status; the log says so plainly. */
function clientLeft(ex: Exchange): void {
  ex.status = ex.status || 499;
  ex.error = 'client disconnected before the response finished';
}

/** The frame that ends a stream broken by `message`, in its own dialect. */
function streamEnd(tee: ResponseTee | undefined, message: string): string | Buffer {
  return tee ? tee.terminalFrame(`upstream stream interrupted: ${message}`) : '';
}

/**
 * The upstream broke after bytes reached the client. A stream ends with an error frame in its own
 * dialect, so the client's SDK raises instead of returning a truncated answer as complete; any
 * other body is cut off, which every HTTP client reports as an error.
 */
function endBrokenResponse(res: ServerResponse, tee: ResponseTee | undefined, message: string): void {
  if (tee?.isStream && !res.destroyed) {
    res.end(streamEnd(tee, message));
    return;
  }
  res.destroy();
}
