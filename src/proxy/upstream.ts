import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { responseHeaders } from '../http/headers.ts';

export interface UpstreamCall {
  url: URL;
  method: string;
  /** Flat [name, value…] list, already filtered. */
  headers: string[];
  body: Buffer | null;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** How an upstream exchange ended, as far as the client is concerned. */
export type UpstreamEnd =
  | { kind: 'complete' }
  /** No response head arrived: the caller answers the client itself (and may retry). */
  | { kind: 'failed-before-response'; error: 'connect' | 'timeout' | 'reset'; message: string }
  /** The head and maybe some bytes reached the client, then the upstream failed. */
  | { kind: 'failed-mid-response'; error: 'timeout' | 'reset'; message: string }
  | { kind: 'client-aborted' };

export interface ResponseObserver {
  /** Called with the upstream head; returns extra headers for the client. */
  onHead(status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer): void;
}

export interface UpstreamOutcome {
  status: number | null;
  headers: IncomingHttpHeaders | null;
  end: UpstreamEnd;
}

/**
 * Sends one request upstream and streams the answer straight into `res`: every chunk is written
 * the moment it arrives, backpressure pauses the upstream socket, and a client that goes away
 * aborts the upstream call. The observer sees the bytes after they are written.
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

    const settle = (end: UpstreamEnd) => {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      resolve({ status, headers: upstreamHeaders, end });
    };
    const onClientClose = () => {
      if (res.writableFinished) return;
      clientGone = true;
      controller?.abort(new Error('client disconnected'));
      settle({ kind: 'client-aborted' });
    };
    res.on('close', onClientClose);
    const onDrain = () => controller?.resume();

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctrl) {
        controller = ctrl;
        if (clientGone) ctrl.abort(new Error('client disconnected'));
      },
      onResponseStart(_ctrl, statusCode, headers, statusMessage) {
        status = statusCode;
        upstreamHeaders = headers;
        observer.onHead(statusCode, headers);
        const out = responseHeaders(headers);
        for (const k in extraHeaders) out[k] = extraHeaders[k];
        if (statusMessage) res.writeHead(statusCode, statusMessage, out);
        else res.writeHead(statusCode, out);
        // A stream's head goes out now, before the first token; any other head rides with the
        // first body chunk (one write instead of two).
        const ct = headers['content-type'];
        if (typeof ct === 'string' && ct.startsWith('text/event-stream')) res.flushHeaders();
      },
      onResponseData(ctrl, chunk) {
        if (!res.write(chunk)) {
          ctrl.pause();
          res.once('drain', onDrain);
        }
        observer.onData(chunk);
      },
      onResponseEnd() {
        res.end();
        settle({ kind: 'complete' });
      },
      onResponseError(_ctrl, err) {
        if (clientGone) return settle({ kind: 'client-aborted' });
        const e = classify(err);
        if (status === null)
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
