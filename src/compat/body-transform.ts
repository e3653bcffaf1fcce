import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { EventStreamDecoder } from '../providers/formats/aws-eventstream.ts';
import { errorText, parseJson, record } from '../providers/shared/values.ts';
import { type OpenAiError, toOpenAiError } from './errors.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatTarget,
  ResponseContext,
  StreamTranslator,
} from './types.ts';

/**
 * Rewrites a provider's answer into the client's format while it streams through the gateway.
 * The proxy calls it in place of writing the upstream bytes: the head, each body chunk, the end.
 */
export interface BodyTransform {
  /** The client's head: the translated content type, no length (the body changes). */
  head(status: number, headers: OutgoingHttpHeaders): OutgoingHttpHeaders;
  /** Upstream bytes → client text ('' when nothing is ready yet). */
  data(chunk: Buffer): string;
  /** The upstream body ended: what is still owed. */
  end(): string;
  /** The upstream broke after the client got bytes: a frame that makes the client's SDK raise. */
  abort(message: string): string;
  /**
   * After head(): whether the client's head waits for the end. A JSON answer is rewritten whole,
   * and one that cannot be (not JSON, or a translation that fails) is answered 502, a status
   * known only then.
   */
  holdsHead(): boolean;
  /** After end() or abort(): why the answer could not be rewritten, if it could not (a 502). */
  failure(): string | undefined;
}

/**
 * Writes the head the transform makes of the provider's, now or, when the transform holds it,
 * as headers set on `res` that go out with the body (see `endTransformed`).
 */
export function writeTransformedHead(
  res: ServerResponse,
  transform: BodyTransform,
  status: number,
  headers: OutgoingHttpHeaders,
  message?: string,
): void {
  const out = transform.head(status, headers);
  if (!transform.holdsHead()) {
    if (message) res.writeHead(status, message, out);
    else res.writeHead(status, out);
    return;
  }
  res.statusCode = status;
  if (message) res.statusMessage = message;
  for (const name in out) {
    const value = out[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}

/** Ends the client's response with the transform's last text, as a 502 if the answer could not be rewritten. */
export function endTransformed(res: ServerResponse, transform: BodyTransform, text: string): void {
  if (transform.failure() !== undefined && !res.headersSent) {
    res.statusCode = 502;
    res.statusMessage = STATUS_CODES[502]!;
  }
  res.end(text);
}

/** How the client's format writes what the translation produced. */
export interface Dialect {
  frames(chunks: ChatCompletionChunk[]): string;
  /** After the last chunk (`data: [DONE]`, or Anthropic's closing events). */
  close(): string;
  json(completion: ChatCompletion): unknown;
  error(status: number, error: OpenAiError): unknown;
  streamError(message: string): string;
}

/** The OpenAI chat-completions dialect: `data: {chunk}` frames and `data: [DONE]`. */
export const chatDialect: Dialect = {
  frames: (chunks) => {
    let out = '';
    for (const c of chunks) out += `data: ${JSON.stringify(c)}\n\n`;
    return out;
  },
  close: () => 'data: [DONE]\n\n',
  json: (completion) => completion,
  error: (_status, error) => error,
  streamError: (message) =>
    `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`,
};

const SSE_TYPE = 'text/event-stream; charset=utf-8';

type Mode =
  | { kind: 'sse'; parser: EventSourceParser; decoder: StringDecoder }
  | { kind: 'eventstream'; decoder: EventStreamDecoder }
  | { kind: 'buffer'; chunks: Buffer[]; status: number };

/** An event that reports a failure inside a 2xx stream, in any provider's dialect. */
function streamFailure(name: string, data: string): string | null {
  if (name === 'error' || name.endsWith('Exception'))
    return errorText(record(parseJson(data))?.['error'] ?? parseJson(data)) ?? 'error';
  const error = record(parseJson(data))?.['error'];
  return error === undefined || error === null ? null : (errorText(error) ?? 'error');
}

export function compatTransform(target: ChatTarget, ctx: ResponseContext, dialect: Dialect): BodyTransform {
  let mode: Mode | undefined;
  let stream: StreamTranslator | undefined;
  let out = '';
  let failed = false;
  /** Why a buffered answer could not be rewritten. */
  let failure: string | undefined;
  const fail = (message: string): string => {
    failure = message;
    return JSON.stringify(dialect.error(502, toOpenAiError(502, 'gatehouse', message)));
  };

  const onEvent = (name: string, data: string) => {
    if (failed) return;
    const failure = streamFailure(name, data);
    if (failure !== null) {
      failed = true;
      out += dialect.streamError(`${target.provider}: ${failure}`);
      return;
    }
    try {
      const chunks = stream!.event(name, data);
      if (chunks.length > 0) out += dialect.frames(chunks);
    } catch (err) {
      failed = true;
      out += dialect.streamError(
        `translating the ${target.provider} stream failed: ${(err as Error).message}`,
      );
    }
  };

  return {
    head(status, headers) {
      const h: OutgoingHttpHeaders = { ...headers };
      delete h['content-length'];
      delete h['content-encoding'];
      const ct = String(h['content-type'] ?? '').toLowerCase();
      if (status < 300 && ct.startsWith('text/event-stream')) {
        stream = target.stream(ctx);
        const parser = createParser({ onEvent: (e) => onEvent(e.event ?? '', e.data) });
        mode = { kind: 'sse', parser, decoder: new StringDecoder('utf8') };
        h['content-type'] = SSE_TYPE;
      } else if (status < 300 && ct.startsWith('application/vnd.amazon.eventstream')) {
        stream = target.stream(ctx);
        mode = { kind: 'eventstream', decoder: new EventStreamDecoder() };
        h['content-type'] = SSE_TYPE;
      } else {
        mode = { kind: 'buffer', chunks: [], status };
        h['content-type'] = 'application/json';
      }
      return h;
    },
    data(chunk) {
      if (mode === undefined) return '';
      if (mode.kind === 'buffer') {
        mode.chunks.push(chunk);
        return '';
      }
      if (mode.kind === 'sse') mode.parser.feed(mode.decoder.write(chunk));
      else {
        for (const m of mode.decoder.push(chunk)) {
          const type =
            m.headers[':message-type'] === 'event' ? m.headers[':event-type'] : m.headers[':exception-type'];
          const name =
            m.headers[':message-type'] === 'event'
              ? String(type ?? '')
              : `${String(type ?? 'unknown')}Exception`;
          onEvent(name, m.payload.toString('utf8'));
        }
      }
      const text = out;
      out = '';
      return text;
    },
    end() {
      if (mode === undefined) return '';
      if (mode.kind !== 'buffer') {
        if (failed) return out;
        const text = out + dialect.frames(stream!.end()) + dialect.close();
        out = '';
        return text;
      }
      const bodyText = Buffer.concat(mode.chunks).toString('utf8');
      if (mode.status >= 300) {
        return JSON.stringify(
          dialect.error(mode.status, toOpenAiError(mode.status, target.provider, bodyText)),
        );
      }
      const body = parseJson(bodyText);
      if (body === undefined) {
        const what = `answered a body that is not JSON: ${bodyText.slice(0, 200)}`;
        failure = `${target.provider} ${what}`;
        return JSON.stringify(dialect.error(502, toOpenAiError(502, target.provider, what)));
      }
      try {
        return JSON.stringify(dialect.json(target.response(body, ctx)));
      } catch (err) {
        return fail(`translating the ${target.provider} answer failed: ${(err as Error).message}`);
      }
    },
    abort(message) {
      if (mode?.kind === 'buffer') return fail(`the ${target.provider} answer was cut off: ${message}`);
      return out + dialect.streamError(`upstream stream interrupted: ${message}`);
    },
    holdsHead: () => mode?.kind === 'buffer',
    failure: () => failure,
  };
}
