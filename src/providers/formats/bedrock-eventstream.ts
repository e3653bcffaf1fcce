import { makeUsage } from '../shared/usage.ts';
import { count, parseJson, record, text } from '../shared/values.ts';
import type { ResponseFacts, StreamReader, Usage } from '../types.ts';
import { createAnthropicStreamReader } from './anthropic.ts';
import { type EventStreamMessage, encodeEventStreamMessage } from './aws-eventstream.ts';
import { converseUsage } from './bedrock.ts';

/** Reads one Bedrock binary stream, message by message, as the bytes pass to the client. */
export interface BedrockStreamReader {
  onMessage(m: EventStreamMessage): void;
  result(): ResponseFacts;
}

/**
 * ConverseStream (`metadata` carries the usage) and InvokeModelWithResponseStream (`chunk` wraps
 * the model's own event, base64; Claude's are Anthropic events, and the last chunk of any model
 * carries `amazon-bedrock-invocationMetrics`). An `exception` message (throttlingException,
 * modelStreamErrorException, …) is an error inside the 200 stream.
 */
export function createBedrockStreamReader(): BedrockStreamReader {
  let error: string | null = null;
  let usage: Usage | null = null;
  let metricsUsage: Usage | null = null;
  let anthropic: StreamReader | undefined;
  return {
    onMessage(m) {
      const type = m.headers[':message-type'];
      if (type === 'exception' || type === 'error') {
        const name = String(m.headers[':exception-type'] ?? m.headers[':error-code'] ?? 'exception');
        const body = record(parseJson(m.payload.toString('utf8')));
        error ??= `${name}: ${text(body?.['message']) ?? text(body?.['Message']) ?? 'no message'}`;
        return;
      }
      const event = m.headers[':event-type'];
      if (event === 'metadata') {
        usage = converseUsage(record(parseJson(m.payload.toString('utf8')))?.['usage']) ?? usage;
      } else if (event === 'chunk') {
        const bytes = text(record(parseJson(m.payload.toString('utf8')))?.['bytes']);
        if (!bytes) return;
        const inner = Buffer.from(bytes, 'base64').toString('utf8');
        const chunk = record(parseJson(inner));
        const kind = text(chunk?.['type']);
        if (kind) {
          anthropic ??= createAnthropicStreamReader();
          anthropic.onEvent(kind, inner);
        }
        const metrics = record(chunk?.['amazon-bedrock-invocationMetrics']);
        if (metrics) {
          metricsUsage = makeUsage({
            tokensIn: count(metrics['inputTokenCount']),
            tokensOut: count(metrics['outputTokenCount']),
          });
        }
      }
    },
    result() {
      const inner = anthropic?.result();
      return {
        model: inner?.model ?? null,
        usage: usage ?? inner?.usage ?? metricsUsage,
        error: error ?? inner?.error ?? null,
      };
    },
  };
}

/** The message a gateway appends to a Bedrock stream cut off mid-way, so AWS SDK clients raise. */
export function bedrockExceptionFrame(message: string): Buffer {
  return encodeEventStreamMessage(
    {
      ':message-type': 'exception',
      ':exception-type': 'internalServerException',
      ':content-type': 'application/json',
    },
    Buffer.from(JSON.stringify({ message })),
  );
}
