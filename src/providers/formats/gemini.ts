/** Google's Gemini `generateContent` wire format (AI Studio and Vertex AI). */

import { geminiErrorFrame } from '../shared/error-frames.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, decodeSegment, errorText, parseJson, record, sum, text } from '../shared/values.ts';
import type { ResponseFacts, StreamReader, Usage } from '../types.ts';

/**
 * `usageMetadata`: `promptTokenCount` already includes `cachedContentTokenCount`;
 * `candidatesTokenCount` excludes `thoughtsTokenCount`, which Google bills as output. We add the
 * thoughts to `tokensOut`, so it means what OpenAI's `completion_tokens` means (reasoning included),
 * and report them apart as `reasoningTokens`.
 */
export function geminiUsage(value: unknown): Usage | null {
  const u = record(value);
  if (!u) return null;
  const thoughts = count(u['thoughtsTokenCount']);
  return makeUsage({
    tokensIn: count(u['promptTokenCount']),
    tokensOut: sum(count(u['candidatesTokenCount']), thoughts),
    cachedTokensIn: count(u['cachedContentTokenCount']),
    reasoningTokens: thoughts,
  });
}

/**
 * One response object, or the JSON array a `streamGenerateContent` call returns without `alt=sse`.
 * In an array the last element with `usageMetadata` holds the final usage.
 */
export function readGeminiJson(body: unknown): ResponseFacts {
  const items = Array.isArray(body) ? body : [body];
  let model: string | null = null;
  let usage: Usage | null = null;
  let error: string | null = null;
  for (const item of items) {
    const r = record(item);
    if (!r) continue;
    model ??= text(r['modelVersion']);
    usage = geminiUsage(r['usageMetadata']) ?? usage;
    error ??= errorText(r['error']);
  }
  return { model, usage, error };
}

/**
 * Reads a `streamGenerateContent?alt=sse` stream (`data:` frames without event names). Every chunk
 * repeats `usageMetadata` and the last one is final, so the reader keeps the raw text of the latest
 * such chunk and parses it once, at the end. The model comes from the first chunk.
 */
export function createGeminiStreamReader(): StreamReader {
  let model: string | null = null;
  let error: string | null = null;
  let lastUsageFrame: string | undefined;
  return {
    onEvent(_event, data) {
      if (data.includes('"usageMetadata"')) lastUsageFrame = data;
      const wantModel = model === null && data.includes('"modelVersion"');
      const wantError = data.includes('"error"');
      if (!wantModel && !wantError) return;
      const chunk = record(parseJson(data));
      if (!chunk) return;
      model ??= text(chunk['modelVersion']);
      error ??= errorText(chunk['error']);
    },
    result() {
      const last = lastUsageFrame === undefined ? undefined : record(parseJson(lastUsageFrame));
      return { model, usage: geminiUsage(last?.['usageMetadata']), error };
    },
    errorFrame: geminiErrorFrame,
  };
}

/** `models/{model}:{method}` anywhere in a path (`v1beta/models/…`, `…/publishers/google/models/…`). */
const MODEL_IN_PATH = /(?:^|\/)models\/([^/:]+?)(?::|%3a)/i;

export function geminiModelFromPath(path: string): string | null {
  const m = MODEL_IN_PATH.exec(path);
  return m?.[1] ? decodeSegment(m[1]) : null;
}
