import { eventJson } from '../shared.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatTarget, ResponseContext } from '../types.ts';

/**
 * OpenAI-format providers answer in the format `/compat` speaks already. This target only reads
 * their answers (for `/compat/v1/messages`, which rewrites them as Anthropic's); requests to them
 * pass through with the model rewritten.
 */
export function openAiFormatTarget(provider: string): ChatTarget {
  return {
    provider,
    request: (req) => ({ path: 'chat/completions', body: { ...req } }),
    response: (body: unknown, ctx: ResponseContext) => ({ ...(body as ChatCompletion), model: ctx.model }),
    stream: () => ({
      event(_name: string, data: string): ChatCompletionChunk[] {
        if (data === '[DONE]') return [];
        const chunk = eventJson(data);
        return chunk && Array.isArray(chunk['choices']) ? [chunk as unknown as ChatCompletionChunk] : [];
      },
      end: () => [],
    }),
  };
}
