import { openAiCompatible, readOpenAiJson } from '../openai-compatible.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, record, text } from '../shared/values.ts';
import type { ResponseFacts } from '../types.ts';

/**
 * A local Ollama. Its OpenAI-compatible API lives under `v1/`; its native API (`api/chat`,
 * `api/generate`, `api/embed`) reports `prompt_eval_count` and `eval_count`. Native streams are
 * newline-delimited JSON, not SSE, so only their non-streamed bodies are read.
 */
function readOllamaJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (b && ('prompt_eval_count' in b || 'eval_count' in b)) {
    const usage = makeUsage({ tokensIn: count(b['prompt_eval_count']), tokensOut: count(b['eval_count']) });
    return { model: text(b['model']), usage, error: null };
  }
  return readOpenAiJson(body);
}

export const ollama = openAiCompatible({
  slug: 'ollama',
  name: 'Ollama',
  defaultBaseUrl: 'http://127.0.0.1:11434',
  readJson: readOllamaJson,
});
