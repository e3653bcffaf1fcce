/** Anthropic's Messages API wire format, also served by Bedrock (InvokeModel, Mantle) and Vertex. */

import { anthropicErrorFrame } from '../shared/error-frames.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, errorText, type JsonObject, parseJson, record, sum, text } from '../shared/values.ts';
import type { ResponseFacts, StreamReader, Usage } from '../types.ts';

/**
 * Anthropic's `input_tokens` excludes the tokens read from or written to the prompt cache. We keep
 * `tokensIn` as the total input (input + cache read + cache write), the same meaning as OpenAI's
 * `prompt_tokens`, so cost code subtracts `cachedTokensIn` and `cacheWriteTokensIn` to price the
 * three parts apart.
 */
export function anthropicUsage(value: unknown): Usage | null {
  const u = record(value);
  if (!u) return null;
  const read = count(u['cache_read_input_tokens']);
  const write = count(u['cache_creation_input_tokens']);
  return makeUsage({
    tokensIn: sum(count(u['input_tokens']), read, write),
    tokensOut: count(u['output_tokens']),
    cachedTokensIn: read,
    cacheWriteTokensIn: write,
  });
}

/** A Messages response (`type: "message"`) or an error body (`type: "error"`). */
export function readAnthropicJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  return {
    model: text(b['model']),
    usage: anthropicUsage(b['usage']),
    error: b['type'] === 'error' ? (errorText(b['error']) ?? 'error') : null,
  };
}

/** Frames without an `event:` line are typed by their data; only these three carry facts. */
const FACT_TYPE = /"type"\s*:\s*"(message_start|message_delta|error)"/;

/**
 * `message_start` carries the model and the input usage, each `message_delta` the usage so far
 * (cumulative, so the last value wins), `error` an error inside the 200 stream. Content deltas,
 * the bulk of the stream, are never parsed.
 */
export function createAnthropicStreamReader(): StreamReader {
  let model: string | null = null;
  let error: string | null = null;
  const totals: JsonObject = {};
  const merge = (usage: unknown): void => {
    const u = record(usage);
    if (!u) return;
    for (const [key, value] of Object.entries(u)) if (count(value) !== null) totals[key] = value;
  };
  return {
    onEvent(event, data) {
      const type = event || FACT_TYPE.exec(data)?.[1];
      if (type !== 'message_start' && type !== 'message_delta' && type !== 'error') return;
      const chunk = record(parseJson(data));
      if (!chunk) return;
      if (type === 'message_start') {
        const message = record(chunk['message']);
        model ??= text(message?.['model']);
        merge(message?.['usage']);
      } else if (type === 'message_delta') {
        merge(chunk['usage']);
      } else {
        error ??= errorText(chunk['error'] ?? chunk) ?? 'error';
      }
    },
    result: () => ({ model, usage: anthropicUsage(totals), error }),
    errorFrame: anthropicErrorFrame,
  };
}

/** True when a stream's first frame is Anthropic's (for endpoints that serve several formats). */
export function isAnthropicFrame(event: string, data: string): boolean {
  return event === 'message_start' || event === 'ping' || data.includes('"type":"message_start"');
}
