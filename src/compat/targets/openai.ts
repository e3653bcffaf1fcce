import { eventJson } from '../shared.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatTarget, ResponseContext } from '../types.ts';

/**
 * OpenAI-format providers speak the format `/compat` speaks already. `/compat/v1/messages` uses this
 * target to send them the chat request it made from Anthropic's and to read their answers (which it
 * rewrites as Anthropic's); on `/compat/chat/completions` their requests pass through untouched.
 */
export function openAiFormatTarget(provider: string, pathPrefix = ''): ChatTarget {
  return {
    provider,
    // The request is already in their format; only where their API lives below the base URL differs.
    request: (req) => ({ path: `${pathPrefix}chat/completions`, body: { ...req } }),
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
