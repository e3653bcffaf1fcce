/** Cohere's wire format: v2 chat (`usage`) and v1 chat/embed/rerank (`meta`). */

import { cohereErrorFrame } from '../shared/error-frames.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, errorText, parseJson, record } from '../shared/values.ts';
import type { ResponseFacts, StreamReader, Usage } from '../types.ts';

/**
 * `tokens` counts what the model saw (the prompt template included); `billed_units` what Cohere
 * bills. We report `tokens` and fall back to `billed_units` when `tokens` is absent (embed, rerank).
 */
export function cohereUsage(value: unknown): Usage | null {
  const u = record(value);
  if (!u) return null;
  const tokens = record(u['tokens']);
  const billed = record(u['billed_units']);
  return makeUsage({
    tokensIn: count(tokens?.['input_tokens']) ?? count(billed?.['input_tokens']),
    tokensOut: count(tokens?.['output_tokens']) ?? count(billed?.['output_tokens']),
    cachedTokensIn: count(u['cached_tokens']),
  });
}

/** Cohere responses carry no model name; the request body has it. */
export function readCohereJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  return { model: null, usage: cohereUsage(b['usage'] ?? b['meta']), error: null };
}

/**
 * v2 chat streams are SSE with named events; only `message-end` carries usage (in `delta.usage`).
 * v1 streams are newline-delimited JSON, not SSE, and never reach this reader.
 */
export function createCohereStreamReader(): StreamReader {
  let usage: Usage | null = null;
  let error: string | null = null;
  return {
    onEvent(event, data) {
      const end = event === 'message-end' || (event === '' && data.includes('"message-end"'));
      const failed = event === 'error' || data.includes('"error"');
      if (!end && !failed) return;
      const chunk = record(parseJson(data));
      if (!chunk) return;
      if (end) usage = cohereUsage(record(chunk['delta'])?.['usage']) ?? usage;
      if (failed) error ??= errorText(chunk['error'] ?? (event === 'error' ? chunk : undefined));
    },
    result: () => ({ model: null, usage, error }),
    errorFrame: cohereErrorFrame,
  };
}
