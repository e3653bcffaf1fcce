import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatUsage,
  ContentPart,
  FinishReason,
  ResponseContext,
  ToolCall,
} from './types.ts';
import { CompatError } from './types.ts';

/** Building blocks every target's translation shares. */

/** A message's content as text: a string as is, text parts joined; `null` when there is none. */
export function textOf(content: string | ContentPart[] | null | undefined): string | null {
  if (content == null) return null;
  if (typeof content === 'string') return content;
  const texts = content.filter((p) => p.type === 'text').map((p) => p.text);
  return texts.length > 0 ? texts.join('') : null;
}

/** `data:{mime};base64,{data}`, split; `null` for any other URL (an http(s) image link). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, data: m[2]! } : null;
}

/** Tool-call arguments are a JSON object in text; providers want the object. */
export function parseArguments(text: string, provider: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new CompatError(
    `tool_calls[].function.arguments must be a JSON object in text for ${provider}; got ${JSON.stringify(text.slice(0, 60))}`,
  );
}

/** OpenAI's usage object from provider counts (input includes cached input, as OpenAI counts it). */
export function chatUsage(
  promptTokens: number,
  completionTokens: number,
  cachedTokens?: number | null,
  reasoningTokens?: number | null,
): ChatUsage {
  const usage: ChatUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  if (cachedTokens != null) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  if (reasoningTokens != null) usage.completion_tokens_details = { reasoning_tokens: reasoningTokens };
  return usage;
}

/** A `chat.completion` with one choice. */
export function completion(
  ctx: ResponseContext,
  message: { content: string | null; toolCalls?: ToolCall[]; reasoning?: string | undefined },
  finishReason: FinishReason,
  usage: ChatUsage | undefined,
): ChatCompletion {
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: message.content,
          refusal: null,
          ...(message.toolCalls && message.toolCalls.length > 0 ? { tool_calls: message.toolCalls } : {}),
          ...(message.reasoning ? { reasoning_content: message.reasoning } : {}),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/** One streamed chunk of choice 0. */
export function chunk(
  ctx: ResponseContext,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: FinishReason | null = null,
): ChatCompletionChunk {
  return {
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(ctx.includeUsage ? { usage: null } : {}),
  };
}

/** The closing usage chunk OpenAI sends when `stream_options.include_usage` is set. */
export function usageChunk(ctx: ResponseContext, usage: ChatUsage): ChatCompletionChunk {
  return {
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    choices: [],
    usage,
  };
}

/** Parses one stream event's JSON data; a frame that is not JSON is skipped (`undefined`). */
export function eventJson(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
