/**
 * The shapes `/compat` speaks, and the contract each translating target fulfils. A target turns
 * an OpenAI chat-completions request into its provider's native request, and the native answer
 * (JSON or stream events) back into OpenAI's; all of it pure, so it is tested on recorded fixtures.
 */

// ---- OpenAI chat completions: the request (validated by ./openai-request.ts) ----

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' | undefined } };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'developer'; content: string | ContentPart[]; name?: string | undefined }
  | { role: 'user'; content: string | ContentPart[]; name?: string | undefined }
  | {
      role: 'assistant';
      content?: string | ContentPart[] | null | undefined;
      tool_calls?: ToolCall[] | undefined;
      name?: string | undefined;
    }
  | { role: 'tool'; content: string | ContentPart[]; tool_call_id: string };

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string | undefined;
    /** JSON Schema of the arguments. */
    parameters?: Record<string, unknown> | undefined;
    strict?: boolean | null | undefined;
  };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string | undefined;
        schema?: Record<string, unknown> | undefined;
        strict?: boolean | null | undefined;
      };
    };

export interface ChatRequest {
  /** The native model id, the `{provider}/` prefix already removed. */
  model: string;
  messages: ChatMessage[];
  stream?: boolean | undefined;
  stream_options?: { include_usage?: boolean | undefined } | undefined;
  temperature?: number | undefined;
  top_p?: number | undefined;
  max_tokens?: number | undefined;
  max_completion_tokens?: number | undefined;
  stop?: string | string[] | undefined;
  n?: number | undefined;
  seed?: number | undefined;
  presence_penalty?: number | undefined;
  frequency_penalty?: number | undefined;
  tools?: FunctionTool[] | undefined;
  tool_choice?: ToolChoice | undefined;
  parallel_tool_calls?: boolean | undefined;
  response_format?: ResponseFormat | undefined;
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high' | undefined;
  user?: string | undefined;
}

/** Request fields by name, for the "not supported by {provider}" check. */
export type ChatField = keyof ChatRequest;

// ---- OpenAI chat completions: the answer ----

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number } | undefined;
  completion_tokens_details?: { reasoning_tokens: number } | undefined;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  /** As the client asked for it: `"{provider}/{model}"`. */
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: ToolCall[] | undefined;
      /** Thinking text, where the provider returns it (not part of OpenAI's schema; SDKs pass it through). */
      reasoning_content?: string | undefined;
    };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage?: ChatUsage | undefined;
}

export interface ToolCallDelta {
  index: number;
  /** Present on a call's first delta only, with `type` and `function.name`. */
  id?: string | undefined;
  type?: 'function' | undefined;
  function: { name?: string | undefined; arguments: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant' | undefined;
      content?: string | undefined;
      reasoning_content?: string | undefined;
      tool_calls?: ToolCallDelta[] | undefined;
    };
    logprobs: null;
    finish_reason: FinishReason | null;
  }>;
  /** Only on the last chunk when `stream_options.include_usage` (then `choices` is empty); else absent. */
  usage?: ChatUsage | null | undefined;
}

// ---- the contract of a translating target ----

/** What every response translation needs to stamp on its output. */
export interface ResponseContext {
  /** `chatcmpl-…`, one per request. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** As the client asked for it: `"{provider}/{model}"`. */
  model: string;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
  /** The request as the client sent it, for answers that depend on how it was translated. */
  request?: ChatRequest | undefined;
}

/** The native request a chat request becomes. */
export interface NativeRequest {
  /** The provider path after `/{provider}/`, no leading slash (the query, if any, included). */
  path: string;
  body: Record<string, unknown>;
}

export interface StreamTranslator {
  /**
   * One native stream event: an SSE event (`name` is its `event:` field or '') or a decoded
   * AWS event-stream message (`name` is its `:event-type`), with its data text. Returns the
   * OpenAI chunks it becomes (often none).
   */
  event(name: string, data: string): ChatCompletionChunk[];
  /** The upstream stream ended: the chunks still owed (the usage chunk when asked for). Not `[DONE]`. */
  end(): ChatCompletionChunk[];
}

export interface ChatTarget {
  /** The provider slug this target serves. */
  readonly provider: string;
  /**
   * The native request. Throws a `CompatError` naming the field and the provider when the
   * request asks for something the provider cannot do.
   */
  request(req: ChatRequest): NativeRequest;
  /** A complete 2xx native JSON body → `chat.completion`. */
  response(body: unknown, ctx: ResponseContext): ChatCompletion;
  /** A fresh translator for one streamed answer. */
  stream(ctx: ResponseContext): StreamTranslator;
}

/** A request `/compat` cannot send as asked: a 400 whose message says what and where. */
export class CompatError extends Error {
  override readonly name = 'CompatError';
}

/** The one message every target uses for a field it cannot honour. */
export function unsupported(field: string, provider: string, why?: string): CompatError {
  return new CompatError(
    `"${field}" is not supported by ${provider} on /compat${why ? `: ${why}` : ''}; remove it or send the request to /${provider}/ in its native format`,
  );
}
