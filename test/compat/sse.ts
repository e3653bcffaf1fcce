import type { ChatCompletionChunk, StreamTranslator } from '../../src/compat/types.ts';

export interface SseEvent {
  /** The `event:` field, '' when the frame has none. */
  name: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/** An SSE body as the events the gateway hands a translator: frames split on blank lines (LF or CRLF). */
export function sseEvents(sse: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of sse.split(/\r?\n\r?\n/)) {
    let name = '';
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) events.push({ name, data: data.join('\n') });
  }
  return events;
}

/** Feeds an SSE body to a fresh translator event by event, then ends it: every chunk the client gets. */
export function translateStream(translator: StreamTranslator, sse: string): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  for (const e of sseEvents(sse)) out.push(...translator.event(e.name, e.data));
  out.push(...translator.end());
  return out;
}
