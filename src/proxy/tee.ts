import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
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
  #mode: 'sse' | 'json' | 'none';
  #sse: { parser: EventSourceParser; reader: StreamReader; decoder: StringDecoder } | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  bytes = 0;

  constructor(adapter: ProviderAdapter, contentType: string | undefined) {
    this.#adapter = adapter;
    const ct = contentType?.toLowerCase() ?? '';
    if (ct.startsWith('text/event-stream')) {
      this.#mode = 'sse';
      const reader = adapter.createStreamReader();
      const parser = createParser({ onEvent: (e) => reader.onEvent(e.event ?? '', e.data) });
      this.#sse = { parser, reader, decoder: new StringDecoder('utf8') };
    } else if (ct.includes('json')) {
      this.#mode = 'json';
    } else {
      this.#mode = 'none';
    }
  }

  get isStream(): boolean {
    return this.#mode === 'sse';
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.#mode === 'sse') {
      const sse = this.#sse!;
      sse.parser.feed(sse.decoder.write(chunk));
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

  /** The facts, once the response is over (complete or not). */
  finish(): ResponseFacts {
    try {
      if (this.#mode === 'sse') return this.#sse!.reader.result();
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
