/**
 * Amazon Bedrock's JSON bodies. InvokeModel returns each model family's native body; Converse one
 * shape for all; Mantle speaks OpenAI and Anthropic. The body tells which one it is.
 */
import { readOpenAiJson } from '../openai-compatible.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, type JsonObject, record, sum, text } from '../shared/values.ts';
import type { ResponseFacts, Usage } from '../types.ts';
import { readAnthropicJson } from './anthropic.ts';

/**
 * Converse (`usage.inputTokens`, `cacheReadInputTokens`, `cacheWriteInputTokens`) and Nova's
 * InvokeModel body (`…InputTokenCount`). Like Anthropic, `inputTokens` excludes cache reads and
 * writes; `tokensIn` is the total input, as for every other provider.
 */
export function converseUsage(value: unknown): Usage | null {
  const u = record(value);
  if (!u) return null;
  const read = count(u['cacheReadInputTokens']) ?? count(u['cacheReadInputTokenCount']);
  const write = count(u['cacheWriteInputTokens']) ?? count(u['cacheWriteInputTokenCount']);
  return makeUsage({
    tokensIn: sum(count(u['inputTokens']), read, write),
    tokensOut: count(u['outputTokens']),
    cachedTokensIn: read,
    cacheWriteTokensIn: write,
  });
}

/** Meta Llama on InvokeModel. */
function llamaUsage(b: JsonObject): Usage | null {
  return makeUsage({
    tokensIn: count(b['prompt_token_count']),
    tokensOut: count(b['generation_token_count']),
  });
}

/** Amazon Titan text and embeddings on InvokeModel. */
function titanUsage(b: JsonObject): Usage | null {
  const results = Array.isArray(b['results']) ? b['results'] : [];
  return makeUsage({
    tokensIn: count(b['inputTextTokenCount']),
    tokensOut: sum(...results.map((r) => count(record(r)?.['tokenCount']))),
  });
}

export function readBedrockJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  // Anthropic Messages (InvokeModel on Claude, Mantle's /anthropic/v1/messages).
  if (b['type'] === 'message' || b['type'] === 'error') return readAnthropicJson(b);
  // OpenAI chat completions or Responses (Mantle, bedrock-runtime /openai/v1).
  if (typeof b['object'] === 'string') return readOpenAiJson(b);
  const usage = record(b['usage']);
  if (usage && ('inputTokens' in usage || 'outputTokens' in usage)) {
    return { model: null, usage: converseUsage(usage), error: null };
  }
  if ('prompt_token_count' in b) return { model: null, usage: llamaUsage(b), error: null };
  if ('inputTextTokenCount' in b) return { model: null, usage: titanUsage(b), error: null };
  return { model: text(b['model']), usage: null, error: null };
}
