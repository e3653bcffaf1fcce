import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { EventStreamDecoder } from '../providers/formats/aws-eventstream.ts';
import {
  type BedrockStreamReader,
  bedrockExceptionFrame,
  createBedrockStreamReader,
} from '../providers/formats/bedrock-eventstream.ts';
import { openAiErrorFrame } from '../providers/shared/error-frames.ts';
import type { ProviderAdapter, ResponseFacts, StreamReader } from '../providers/types.ts';

/** Bodies past this are still forwarded whole, but not parsed for usage. */
const MAX_PARSED_JSON_BYTES = 16 * 1024 * 1024;

const NO_FACTS: ResponseFacts = { model: null, usage: null, error: null };

/**
 * Watches response bytes on their way to the client and reads the model, the usage and any
 * in-band error from them. It never holds the bytes back: the proxy writes first, then feeds.
 */
export class ResponseTee {
  readonly #adapter: ProviderAdapter;
  #mode: 'sse' | 'eventstream' | 'json' | 'none';
  #binary: { decoder: EventStreamDecoder; reader: BedrockStreamReader } | undefined;
  #sse: { parser: EventSourceParser; reader: StreamReader; decoder: StringDecoder } | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  #tail = '';
  bytes = 0;
  /** Complete SSE events seen so far. */
  events = 0;

  constructor(adapter: ProviderAdapter, contentType: string | undefined) {
    this.#adapter = adapter;
    const ct = contentType?.toLowerCase() ?? '';
    if (ct.startsWith('text/event-stream')) {
      this.#mode = 'sse';
      const reader = adapter.createStreamReader();
      const parser = createParser({
        onEvent: (e) => {
          this.events++;
          reader.onEvent(e.event ?? '', e.data);
        },
      });
      this.#sse = { parser, reader, decoder: new StringDecoder('utf8') };
    } else if (ct.startsWith('application/vnd.amazon.eventstream')) {
      this.#mode = 'eventstream';
      this.#binary = { decoder: new EventStreamDecoder(), reader: createBedrockStreamReader() };
    } else if (ct.includes('json')) {
      this.#mode = 'json';
    } else {
      this.#mode = 'none';
    }
  }

  get isStream(): boolean {
    return this.#mode === 'sse' || this.#mode === 'eventstream';
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.#mode === 'sse') {
      const sse = this.#sse!;
      this.#tail = (this.#tail + chunk.toString('latin1', Math.max(0, chunk.length - 4))).slice(-4);
      sse.parser.feed(sse.decoder.write(chunk));
    } else if (this.#mode === 'eventstream') {
      const b = this.#binary!;
      for (const m of b.decoder.push(chunk)) {
        this.events++;
        b.reader.onMessage(m);
      }
    } else if (this.#mode === 'json') {
      this.#size += chunk.length;
      if (this.#size > MAX_PARSED_JSON_BYTES) {
        this.#mode = 'none';
        this.#chunks = [];
      } else {
        this.#chunks.push(chunk);
      }
    }
  }

  /** An error event seen in the stream so far (a held stream is rejected on one). */
  streamError(): string | null {
    if (this.#binary) return this.#binary.reader.result().error;
    return this.#sse ? this.#sse.reader.result().error : null;
  }

  /**
   * What to append to a stream that broke after bytes reached the client: an error frame in its
   * own dialect, after a blank line that ends a frame the break cut in two.
   */
  terminalFrame(message: string): string | Buffer {
    if (this.#binary) return bedrockExceptionFrame(message);
    const reader = this.#sse?.reader;
    const frame = reader?.errorFrame ? reader.errorFrame(message) : openAiErrorFrame(message);
    const t = this.#tail;
    const atBoundary = this.bytes === 0 || t.endsWith('\n\n') || t.endsWith('\r\r') || t === '\r\n\r\n';
    return atBoundary ? frame : `\n\n${frame}`;
  }

  /** The facts, once the response is over (complete or not). */
  finish(): ResponseFacts {
    try {
      if (this.#mode === 'sse') return this.#sse!.reader.result();
      if (this.#mode === 'eventstream') return this.#binary!.reader.result();
      if (this.#mode === 'json' && this.#size > 0) {
        const text = Buffer.concat(this.#chunks, this.#size).toString('utf8');
        this.#chunks = [];
        return this.#adapter.readJson(JSON.parse(text));
      }
    } catch {
      // A body that is not the JSON it claims to be is forwarded as is; it just has no facts.
    }
    return NO_FACTS;
  }
}
