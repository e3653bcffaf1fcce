/**
 * What each recorded fixture must yield, per provider. The structure test fails when a built-in
 * provider has no row here, or when a fixture file is not listed.
 */
import type { ResponseFacts, Usage } from '../../src/providers/types.ts';

export interface UsageCase {
  fixture: string;
  expected: ResponseFacts;
}

function usage(
  tokensIn: number | null,
  tokensOut: number | null,
  more: Partial<Pick<Usage, 'cachedTokensIn' | 'cacheWriteTokensIn' | 'reasoningTokens'>> = {},
): Usage {
  return {
    tokensIn,
    tokensOut,
    cachedTokensIn: more.cachedTokensIn ?? null,
    cacheWriteTokensIn: more.cacheWriteTokensIn ?? null,
    reasoningTokens: more.reasoningTokens ?? null,
  };
}

function facts(model: string | null, u: Usage | null, error: string | null = null): ResponseFacts {
  return { model, usage: u, error };
}

const NONE = facts(null, null);

export const USAGE_CASES: Readonly<Record<string, readonly UsageCase[]>> = {
  anthropic: [
    {
      fixture: 'anthropic/messages-cached.json',
      // input_tokens excludes the cache: 12 + 2048 read + 0 written.
      expected: facts(
        'claude-sonnet-4-20250514',
        usage(2060, 95, { cachedTokensIn: 2048, cacheWriteTokensIn: 0 }),
      ),
    },
    {
      fixture: 'anthropic/messages-thinking.sse',
      expected: facts(
        'claude-3-7-sonnet-20250219',
        usage(3142, 118, { cachedTokensIn: 0, cacheWriteTokensIn: 3100 }),
      ),
    },
    {
      fixture: 'anthropic/stream-error.sse',
      expected: facts(
        'claude-opus-4-1-20250805',
        usage(1525, 1, { cachedTokensIn: 0, cacheWriteTokensIn: 1500 }),
        'overloaded_error: Overloaded',
      ),
    },
  ],
  'aws-bedrock': [
    {
      fixture: 'aws-bedrock/converse.json',
      expected: facts(null, usage(1055, 64, { cachedTokensIn: 1024, cacheWriteTokensIn: 0 })),
    },
    {
      fixture: 'aws-bedrock/invoke-anthropic.json',
      expected: facts(
        'claude-3-5-sonnet-20241022',
        usage(14, 27, { cachedTokensIn: 0, cacheWriteTokensIn: 0 }),
      ),
    },
    { fixture: 'aws-bedrock/invoke-llama.json', expected: facts(null, usage(19, 50)) },
    { fixture: 'aws-bedrock/invoke-titan-embed.json', expected: facts(null, usage(6, null)) },
    {
      fixture: 'aws-bedrock/mantle-chat-completion.sse',
      expected: facts('openai.gpt-oss-120b', usage(74, 22, { reasoningTokens: 18 })),
    },
    {
      fixture: 'aws-bedrock/mantle-messages.sse',
      expected: facts(
        'claude-haiku-4-5-20251001',
        usage(21, 5, { cachedTokensIn: 0, cacheWriteTokensIn: 0 }),
      ),
    },
  ],
  'azure-openai': [
    {
      fixture: 'azure-openai/chat-completion.json',
      expected: facts('gpt-4o-2024-11-20', usage(1043, 9, { cachedTokensIn: 1024, reasoningTokens: 0 })),
    },
    {
      // The first chunk is Azure's prompt-filter chunk with `"model": ""`.
      fixture: 'azure-openai/chat-completion.sse',
      expected: facts('gpt-4o-2024-11-20', usage(19, 9, { cachedTokensIn: 0, reasoningTokens: 0 })),
    },
  ],
  baseten: [
    {
      fixture: 'baseten/chat-completion.json',
      expected: facts('deepseek-ai/DeepSeek-V3-0324', usage(13, 21)),
    },
  ],
  cartesia: [{ fixture: 'cartesia/tts.sse', expected: NONE }],
  cerebras: [
    {
      fixture: 'cerebras/chat-completion.json',
      expected: facts('llama3.1-8b', usage(16, 8, { cachedTokensIn: 0 })),
    },
  ],
  cohere: [
    { fixture: 'cohere/chat-v2.json', expected: facts(null, usage(71, 44)) },
    { fixture: 'cohere/chat-v2.sse', expected: facts(null, usage(69, 11)) },
    { fixture: 'cohere/chat-v1.json', expected: facts(null, usage(74, 11)) },
    { fixture: 'cohere/embed-v2.json', expected: facts(null, usage(2, null)) },
  ],
  deepinfra: [
    {
      fixture: 'deepinfra/chat-completion.json',
      expected: facts('meta-llama/Meta-Llama-3.1-8B-Instruct', usage(15, 9)),
    },
  ],
  deepseek: [
    {
      fixture: 'deepseek/chat-completion.json',
      expected: facts('deepseek-reasoner', usage(1450, 320, { cachedTokensIn: 1280, reasoningTokens: 210 })),
    },
  ],
  elevenlabs: [{ fixture: 'elevenlabs/with-timestamps.json', expected: NONE }],
  fal: [{ fixture: 'fal/fast-sdxl.json', expected: NONE }],
  fireworks: [
    {
      fixture: 'fireworks/chat-completion.sse',
      expected: facts('accounts/fireworks/models/llama-v3p1-70b-instruct', usage(19, 4)),
    },
  ],
  'google-ai-studio': [
    {
      // Thoughts count as output: 14 candidates + 388 thoughts.
      fixture: 'google-ai-studio/stream-generate-content.json',
      expected: facts('gemini-2.5-flash', usage(9, 402, { reasoningTokens: 388 })),
    },
    {
      fixture: 'google-ai-studio/stream-error.sse',
      expected: facts(
        'gemini-2.0-flash',
        usage(11, 3),
        'UNAVAILABLE: The model is overloaded. Please try again later.',
      ),
    },
    {
      fixture: 'google-ai-studio/openai-chat-completion.json',
      expected: facts('gemini-2.0-flash', usage(8, 10)),
    },
  ],
  'google-vertex-ai': [
    {
      fixture: 'google-vertex-ai/generate-content.json',
      expected: facts('gemini-2.5-pro', usage(33120, 480, { cachedTokensIn: 32768, reasoningTokens: 468 })),
    },
    {
      fixture: 'google-vertex-ai/anthropic-raw-predict.sse',
      expected: facts('claude-sonnet-4-20250514', usage(18, 7, { cachedTokensIn: 0, cacheWriteTokensIn: 0 })),
    },
    {
      fixture: 'google-vertex-ai/openapi-chat-completion.json',
      expected: facts('google/gemini-2.0-flash-001', usage(6, 11)),
    },
  ],
  grok: [
    {
      // xAI counts reasoning apart from completion_tokens (32 + 9 + 94 = 135): output is 9 + 94.
      fixture: 'grok/chat-completion.json',
      expected: facts('grok-3-mini', usage(32, 103, { cachedTokensIn: 6, reasoningTokens: 94 })),
    },
  ],
  groq: [
    { fixture: 'groq/chat-completion.json', expected: facts('llama-3.1-8b-instant', usage(18, 7)) },
    // Streamed usage arrives in `x_groq.usage`.
    { fixture: 'groq/chat-completion.sse', expected: facts('llama-3.3-70b-versatile', usage(40, 9)) },
  ],
  huggingface: [
    { fixture: 'huggingface/text-generation.json', expected: NONE },
    {
      fixture: 'huggingface/chat-completion.json',
      expected: facts('meta-llama/Llama-3.1-8B-Instruct', usage(42, 3)),
    },
  ],
  ideogram: [{ fixture: 'ideogram/generate-v3.json', expected: NONE }],
  mistral: [
    { fixture: 'mistral/chat-completion.json', expected: facts('mistral-small-latest', usage(10, 12)) },
  ],
  ollama: [
    { fixture: 'ollama/chat.json', expected: facts('llama3.2', usage(26, 282)) },
    { fixture: 'ollama/chat-completion.json', expected: facts('llama3.2', usage(27, 10)) },
  ],
  openai: [
    {
      fixture: 'openai/chat-completion-reasoning.json',
      expected: facts('o3-mini-2025-01-31', usage(2006, 300, { cachedTokensIn: 1920, reasoningTokens: 192 })),
    },
    {
      fixture: 'openai/responses.json',
      expected: facts('o4-mini-2025-04-16', usage(1250, 356, { cachedTokensIn: 1024, reasoningTokens: 192 })),
    },
    {
      fixture: 'openai/responses.sse',
      expected: facts('gpt-4.1-2025-04-14', usage(37, 11, { cachedTokensIn: 0, reasoningTokens: 0 })),
    },
    {
      fixture: 'openai/responses-failed.sse',
      expected: facts(
        'gpt-4.1-2025-04-14',
        null,
        'server_error: The model produced invalid content. Consider modifying your prompt if you are seeing this error persistently.',
      ),
    },
    {
      fixture: 'openai/stream-error.sse',
      expected: facts(
        'gpt-4o-mini-2024-07-18',
        null,
        'server_error: The server had an error while processing your request. Sorry about that!',
      ),
    },
  ],
  openrouter: [
    {
      fixture: 'openrouter/chat-completion.json',
      expected: facts('openai/gpt-4o-mini', usage(24, 6, { cachedTokensIn: 0, reasoningTokens: 0 })),
    },
    {
      fixture: 'openrouter/stream-error.sse',
      expected: facts('anthropic/claude-3.5-haiku', null, '502: Provider returned error'),
    },
  ],
  parallel: [{ fixture: 'parallel/task-run.json', expected: NONE }],
  'perplexity-ai': [
    { fixture: 'perplexity-ai/chat-completion.json', expected: facts('sonar', usage(9, 14)) },
  ],
  replicate: [
    {
      fixture: 'replicate/prediction.json',
      expected: facts('meta/meta-llama-3-70b-instruct', usage(18, 17)),
    },
    {
      fixture: 'replicate/prediction-failed.json',
      expected: facts(
        'black-forest-labs/flux-schnell',
        null,
        'NSFW content detected. Try running it again, or try a different prompt.',
      ),
    },
  ],
  together: [
    // Python-style separators (`"usage": {`), usage in the last chunk.
    {
      fixture: 'together/chat-completion.sse',
      expected: facts('meta-llama/Llama-3.3-70B-Instruct-Turbo', usage(41, 3)),
    },
  ],
  'workers-ai': [
    { fixture: 'workers-ai/run.json', expected: facts(null, usage(26, 31)) },
    { fixture: 'workers-ai/run.sse', expected: facts(null, usage(26, 12)) },
    {
      fixture: 'workers-ai/error.json',
      expected: facts(null, null, "5006: Error: oneOf at '/' not met, 0 matches"),
    },
    {
      fixture: 'workers-ai/chat-completion.json',
      expected: facts('@cf/meta/llama-3.1-8b-instruct', usage(20, 8)),
    },
  ],
};

/**
 * Fixtures recorded by another owner, whose exact numbers this table does not pin: each must
 * yield a model and token counts and no error. Skipped until the file exists.
 */
export const SHARED_FIXTURES: Readonly<Record<string, { slug: string; hasOutput: boolean }>> = {
  'openai/chat-completion.json': { slug: 'openai', hasOutput: true },
  'openai/chat-completion.sse': { slug: 'openai', hasOutput: true },
  'openai/embeddings.json': { slug: 'openai', hasOutput: false },
  'anthropic/messages.json': { slug: 'anthropic', hasOutput: true },
  'anthropic/messages.sse': { slug: 'anthropic', hasOutput: true },
  'google-ai-studio/generate-content.json': { slug: 'google-ai-studio', hasOutput: true },
  'google-ai-studio/stream-generate-content.sse': { slug: 'google-ai-studio', hasOutput: true },
};
