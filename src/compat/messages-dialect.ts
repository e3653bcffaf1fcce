import { anthropicErrorFrame } from '../providers/shared/error-frames.ts';
import type { Dialect } from './body-transform.ts';
import { chatErrorToAnthropic } from './messages/errors.ts';
import { chatToMessage } from './messages/message.ts';
import { type MessagesEvent, MessagesStreamWriter } from './messages/stream.ts';

function sse(events: MessagesEvent[]): string {
  let out = '';
  for (const e of events) out += `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
  return out;
}

/**
 * Anthropic's Messages format as the client's dialect (`/compat/v1/messages`): OpenAI chunks,
 * whatever provider they were translated from, become Anthropic's stream events.
 */
export function messagesDialect(model: string, id: string): Dialect {
  const writer = new MessagesStreamWriter(model, id);
  return {
    frames: (chunks) => {
      let out = '';
      for (const c of chunks) out += sse(writer.chunk(c));
      return out;
    },
    close: () => sse(writer.end()),
    json: (completion) => chatToMessage(completion, model, id),
    error: (status, error) => chatErrorToAnthropic(status, error),
    streamError: (message) => anthropicErrorFrame(message),
  };
}
