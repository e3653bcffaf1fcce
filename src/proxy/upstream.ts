import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { type BodyTransform, endTransformed, writeTransformedHead } from '../compat/body-transform.ts';
import { responseHeaders } from '../http/headers.ts';

export interface UpstreamCall {
  url: URL;
  method: string;
  /** Flat [name, value…] list, already filtered. */
  headers: string[];
  body: Buffer | null;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** `cf-aig-request-timeout`: milliseconds until the first response byte, else no limit of ours. */
  firstByteTimeoutMs?: number | undefined;
  /** Present when another attempt would follow this one: what it may keep from the client. */
  gate?: AttemptGate | undefined;
  /** `/compat`: the answer is rewritten into the client's format on its way through. */
  transform?: BodyTransform | undefined;
  /**
   * Asked when the client goes away mid-response: true when others follow this answer (identical
   * requests waiting on it), so it is read to its end for them instead of being cut off.
   */
  keepReading?: (() => boolean) | undefined;
}

/** What an attempt that is not the last one may refuse, before the client sees any of it. */
export interface AttemptGate {
  /** A response with this status is discarded (to be retried, or passed to the next step). */
  rejectStatus(status: number): boolean;
  /** A 2xx event stream is held until its first event shows it is not an error. */
  holdStreams: boolean;
}

/** How an upstream exchange ended, as far as the client is concerned. */
export type UpstreamEnd =
  | { kind: 'complete' }
  /** No response byte reached the client: the caller answers the client itself (and may retry). */
  | { kind: 'failed-before-response'; error: 'connect' | 'timeout' | 'reset'; message: string }
  /** The head and maybe some bytes reached the client, then the upstream failed. */
  | { kind: 'failed-mid-response'; error: 'timeout' | 'reset'; message: string }
  /** The gate refused the response (an error status, or an error event first in a stream); nothing was sent. */
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'client-aborted' };

export interface ResponseObserver {
  onHead(status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer): void;
  /**
   * For a held stream, after each chunk (and with `atEnd` once it is over): commit it to the
   * client, reject it (an error event came first), or wait for more.
   */
  verdict?(atEnd: boolean): 'commit' | 'reject' | 'wait';
  /** The response is the client's now: its head is sent (or goes with the first chunk). */
  onCommit?(): void;
}

export interface UpstreamOutcome {
  status: number | null;
  headers: IncomingHttpHeaders | null;
  end: UpstreamEnd;
  /** Bytes of the response body written to the client. */
  sent: number;
  /**
   * The client went away while the answer was still read for others (`keepReading`): `end` then
   * says how the upstream ended, though this client got only part of it.
   */
  clientGone: boolean;
}

/** A held stream whose first event has not arrived after this many bytes is let through. */
const MAX_HELD_BYTES = 64 * 1024;

type State = 'waiting' | 'committed' | 'holding' | 'discarding';

/**
 * Sends one request upstream and streams the answer straight into `res`: every chunk is written
 * the moment it arrives, backpressure pauses the upstream socket, and a client that goes away
 * aborts the upstream call. The observer sees the bytes after they are written.
 *
 * When a retry or a fallback could follow (`call.gate`) or a first-byte timeout is set, the head
 * waits for the first body chunk, so that a refused or timed-out attempt leaves the client
 * untouched; otherwise it goes out at once (an event stream's head before its first token).
 */
export function forward(
  dispatcher: Dispatcher,
  call: UpstreamCall,
  res: ServerResponse,
  extraHeaders: OutgoingHttpHeaders,
  observer: ResponseObserver,
): Promise<UpstreamOutcome> {
  return new Promise((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status: number | null = null;
    let upstreamHeaders: IncomingHttpHeaders | null = null;
    let settled = false;
    let clientGone = false;
    let readingOn = false;
    let state: State = 'waiting';
    let holdForVerdict = false;
    let head: { status: number; message: string | undefined; headers: OutgoingHttpHeaders } | undefined;
    let held: Buffer[] = [];
    let heldBytes = 0;
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;

    const settle = (end: UpstreamEnd) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      res.off('close', onClientClose);
      resolve({ status, headers: upstreamHeaders, end, sent, clientGone: readingOn });
    };
    const onClientClose = () => {
      if (res.writableFinished) return;
      clientGone = true;
      if (state === 'committed' && call.keepReading?.()) {
        // Read to the end for those following this answer; nothing more is written here.
        readingOn = true;
        res.off('drain', onDrain);
        controller?.resume();
        return;
      }
      controller?.abort(new Error('client disconnected'));
      settle({ kind: 'client-aborted' });
    };
    res.on('close', onClientClose);
    const onDrain = () => controller?.resume();
    const transform = call.transform;
    const write = (ctrl: Dispatcher.DispatchController, upstreamChunk: Buffer) => {
      if (readingOn) return;
      const chunk = transform ? transform.data(upstreamChunk) : upstreamChunk;
      if (chunk.length === 0) return;
      sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (!res.write(chunk)) {
        ctrl.pause();
        res.once('drain', onDrain);
      }
    };
    const writeHead = () => {
      const h = head!;
      if (transform) writeTransformedHead(res, transform, h.status, h.headers, h.message);
      else if (h.message) res.writeHead(h.status, h.message, h.headers);
      else res.writeHead(h.status, h.headers);
    };
    const commit = (ctrl: Dispatcher.DispatchController) => {
      state = 'committed';
      writeHead();
      observer.onCommit?.();
      const chunks = held;
      held = [];
      for (const chunk of chunks) write(ctrl, chunk);
    };
    const reject = (message: string) => {
      // Settle first: aborting calls onResponseError synchronously, which must not win.
      settle({ kind: 'rejected', status: status ?? 0, message });
      controller?.abort(new Error('attempt rejected'));
    };

    if (call.firstByteTimeoutMs !== undefined) {
      const ms = call.firstByteTimeoutMs;
      timer = setTimeout(() => {
        timedOut = true;
        controller?.abort(new Error(`no response byte within ${ms} ms`));
      }, ms);
    }
    const firstByteArrived = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctrl) {
        controller = ctrl;
        if (clientGone) ctrl.abort(new Error('client disconnected'));
        else if (timedOut) ctrl.abort(new Error('timed out'));
      },
      onResponseStart(_ctrl, statusCode, headers, statusMessage) {
        status = statusCode;
        upstreamHeaders = headers;
        if (call.gate?.rejectStatus(statusCode)) {
          state = 'discarding';
          return;
        }
        observer.onHead(statusCode, headers);
        const out = responseHeaders(headers);
        for (const k in extraHeaders) out[k] = extraHeaders[k];
        head = { status: statusCode, message: statusMessage || undefined, headers: out };
        const ct = headers['content-type'];
        // SSE, or Bedrock's binary event stream.
        const isStream =
          typeof ct === 'string' &&
          (ct.startsWith('text/event-stream') || ct.startsWith('application/vnd.amazon.eventstream'));
        holdForVerdict = isStream && call.gate?.holdStreams === true && statusCode < 300;
        if (holdForVerdict || call.gate || timer) {
          state = 'holding';
          return;
        }
        state = 'committed';
        writeHead();
        observer.onCommit?.();
        // A stream's head goes out now, before the first token; any other head rides with the
        // first body chunk (one write instead of two).
        if (isStream) res.flushHeaders();
      },
      onResponseData(ctrl, chunk) {
        firstByteArrived();
        if (state === 'committed') {
          write(ctrl, chunk);
          observer.onData(chunk);
          return;
        }
        if (state === 'discarding') return;
        held.push(chunk);
        heldBytes += chunk.length;
        observer.onData(chunk);
        const verdict = holdForVerdict && heldBytes < MAX_HELD_BYTES ? observer.verdict?.(false) : 'commit';
        if (verdict === 'reject') reject('an error event before any content');
        else if (verdict === 'commit' || verdict === undefined) commit(ctrl);
      },
      onResponseEnd(ctrl) {
        firstByteArrived();
        if (state === 'discarding')
          return settle({ kind: 'rejected', status: status!, message: `status ${status}` });
        if (state === 'holding') {
          if (holdForVerdict && observer.verdict?.(true) === 'reject') {
            return settle({
              kind: 'rejected',
              status: status!,
              message: 'an error event before any content',
            });
          }
          commit(ctrl);
        }
        // Read to the end for others (`readingOn`), this client has left: nothing to end.
        if (!readingOn && transform) {
          const rest = transform.end();
          sent += Buffer.byteLength(rest);
          endTransformed(res, transform, rest);
        } else if (!readingOn) res.end();
        settle({ kind: 'complete' });
      },
      onResponseError(_ctrl, err) {
        if (clientGone && !readingOn) return settle({ kind: 'client-aborted' });
        const e = timedOut
          ? { kind: 'timeout' as const, message: `no response byte within ${call.firstByteTimeoutMs} ms` }
          : classify(err);
        if (state !== 'committed')
          return settle({ kind: 'failed-before-response', error: e.kind, message: e.message });
        settle({
          kind: 'failed-mid-response',
          error: e.kind === 'connect' ? 'reset' : e.kind,
          message: e.message,
        });
      },
    };

    try {
      dispatcher.dispatch(
        {
          origin: call.url.origin,
          path: call.url.pathname + call.url.search,
          method: call.method as Dispatcher.HttpMethod,
          headers: call.headers,
          body: call.body,
          headersTimeout: call.headersTimeoutMs,
          bodyTimeout: call.bodyTimeoutMs,
        },
        handler,
      );
    } catch (err) {
      const e = classify(err);
      settle({ kind: 'failed-before-response', error: e.kind, message: e.message });
    }
  });
}

interface Classified {
  kind: 'connect' | 'timeout' | 'reset';
  message: string;
}

/** Maps undici and socket errors to what a client needs to know, without internals. */
function classify(err: unknown): Classified {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'timeout', message: 'no response head in time' };
  if (code === 'UND_ERR_BODY_TIMEOUT')
    return { kind: 'timeout', message: 'the response stalled between chunks' };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'timeout', message: 'connection timed out' };
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return { kind: 'connect', message: code };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return { kind: 'reset', message: 'connection reset' };
  }
  return { kind: 'reset', message: code || e.message || 'upstream error' };
}
