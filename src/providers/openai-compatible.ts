/**
 * The shared base for providers that speak OpenAI's wire format: Chat Completions, the Responses
 * API, embeddings, and their SSE streams. A provider over this base is a slug, a base URL and its
 * auth headers; anything else it needs it passes as an override.
 */
import { defineProvider, type ProviderDefinition } from './shared/define.ts';
import { openAiErrorFrame } from './shared/error-frames.ts';
import { makeUsage } from './shared/usage.ts';
import { count, errorText, parseJson, record, sum, text } from './shared/values.ts';
import type { ProviderAdapter, ResponseFacts, StreamReader, Usage } from './types.ts';

/**
 * Token usage in either OpenAI shape:
 * - Chat Completions and embeddings: `prompt_tokens`, `completion_tokens`,
 *   `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`;
 * - Responses API (and audio, images): `input_tokens`, `output_tokens`,
 *   `input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`.
 * In both, the input count includes the cached tokens and the output count includes reasoning.
 * DeepSeek reports cache reads as `prompt_cache_hit_tokens` instead; xAI counts reasoning apart.
 */
export function openAiUsage(value: unknown): Usage | null {
  const u = record(value);
  if (!u) return null;
  const chat = 'prompt_tokens' in u || 'completion_tokens' in u;
  const tokensIn = count(chat ? u['prompt_tokens'] : u['input_tokens']);
  const tokensOut = count(chat ? u['completion_tokens'] : u['output_tokens']);
  const inDetails = record(chat ? u['prompt_tokens_details'] : u['input_tokens_details']);
  const outDetails = record(chat ? u['completion_tokens_details'] : u['output_tokens_details']);
  const reasoning = count(outDetails?.['reasoning_tokens']);
  return makeUsage({
    tokensIn,
    tokensOut: reasoningIsAdditive(tokensIn, tokensOut, reasoning, count(u['total_tokens']))
      ? sum(tokensOut, reasoning)
      : tokensOut,
    cachedTokensIn: count(inDetails?.['cached_tokens']) ?? count(u['prompt_cache_hit_tokens']),
    reasoningTokens: reasoning,
  });
}

/**
 * xAI counts reasoning apart from `completion_tokens` (its `total_tokens` is prompt + completion +
 * reasoning), where OpenAI counts it inside. The totals tell which: when they add up only with the
 * reasoning on top, it is added to `tokensOut`, so output always means "all tokens generated".
 */
function reasoningIsAdditive(
  tokensIn: number | null,
  tokensOut: number | null,
  reasoning: number | null,
  total: number | null,
): boolean {
  if (!reasoning || tokensIn === null || tokensOut === null || total === null) return false;
  return tokensIn + tokensOut + reasoning === total;
}

/** A chat completion, a Responses API response, an embeddings list, or an `{error}` body. */
export function readOpenAiJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  return { model: text(b['model']), usage: openAiUsage(b['usage']), error: errorText(b['error']) };
}

/** Cheap tests on the raw frame, so most content deltas are never parsed. */
const HAS_USAGE = /"usage"\s*:\s*\{/;
const HAS_MODEL = '"model"';
/**
 * An unescaped `"error"` can only be a key or a whole string value: inside generated text the
 * quotes arrive escaped (`\"error\"`), so model output does not trigger a parse.
 */
const HAS_ERROR = '"error"';

/**
 * Reads an OpenAI-shaped SSE stream:
 * - Chat Completions chunks (`data: {...}` then `data: [DONE]`); usage comes in a late chunk
 *   (`stream_options.include_usage`), or in `x_groq.usage` from Groq;
 * - Responses API events (`response.created` carries the model, `response.completed` and
 *   `response.incomplete` the usage, `response.failed` and `error` the error);
 * - an error frame inside a 200 stream: `data: {"error": {...}}` (OpenAI, OpenRouter, vLLM).
 * Workers AI's native stream (`data: {"response": "..."}` with a late `usage`) reads the same way.
 */
export function createOpenAiStreamReader(): StreamReader {
  let model: string | null = null;
  let usage: Usage | null = null;
  let error: string | null = null;
  return {
    onEvent(event, data) {
      const wantModel = model === null && data.includes(HAS_MODEL);
      const wantUsage = HAS_USAGE.test(data);
      const wantError = event === 'error' || data.includes(HAS_ERROR);
      if (!wantModel && !wantUsage && !wantError) return;
      const chunk = record(parseJson(data));
      if (!chunk) return;
      // Responses API events wrap the response object; chat chunks are the object itself.
      const inner = record(chunk['response']) ?? chunk;
      model ??= text(inner['model']);
      const found = openAiUsage(inner['usage'] ?? record(chunk['x_groq'])?.['usage']);
      if (found) usage = found;
      const failed =
        event === 'error' || chunk['type'] === 'error'
          ? errorText(chunk['error'] ?? chunk)
          : errorText(inner['error']);
      error ??= failed;
    },
    result: () => ({ model, usage, error }),
    errorFrame: openAiErrorFrame,
  };
}

export type OpenAiCompatibleOptions = Omit<
  ProviderDefinition,
  'readJson' | 'createStreamReader' | 'authHeaders'
> &
  Partial<Pick<ProviderDefinition, 'readJson' | 'createStreamReader' | 'authHeaders'>>;

/** An adapter for an OpenAI-shaped provider; the credential defaults to `Authorization: Bearer`. */
export function openAiCompatible(options: OpenAiCompatibleOptions): ProviderAdapter {
  return defineProvider({
    authHeaders: ['authorization'],
    readJson: readOpenAiJson,
    createStreamReader: createOpenAiStreamReader,
    ...options,
  });
}
