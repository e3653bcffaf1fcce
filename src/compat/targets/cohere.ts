import { chatUsage, chunk, completion, eventJson, textOf, usageChunk } from '../shared.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  ChatTarget,
  ChatUsage,
  ContentPart,
  FinishReason,
  FunctionTool,
  NativeRequest,
  ResponseContext,
  StreamTranslator,
  ToolCall,
} from '../types.ts';
import { unsupported } from '../types.ts';

/**
 * Cohere v2 chat (`POST /v2/chat`). Its messages and tools already use OpenAI's shapes (roles,
 * `tool_calls`, `tool_call_id`, `image_url` parts, `{type:'function',function:{…}}` tools), so most
 * of the work is renaming sampling fields and reading the answer's typed content parts back.
 *
 * Decisions worth knowing:
 * - `reasoning_effort` becomes `thinking: {type:'enabled', token_budget}` with the budgets in
 *   THINKING_BUDGET; Cohere has no effort levels, only a token cap on thinking.
 * - `message.tool_plan` (the sentence a model writes before calling tools, "I will look up …") is
 *   returned as `reasoning_content`, after any thinking text: it is the model's reasoning about
 *   the calls, not the answer, and OpenAI clients expect `content: null` on a tool-call turn.
 * - finish reasons: see FINISH. `ERROR` maps to `content_filter`, not `stop`: the generation was
 *   cut off abnormally, and `stop` would tell the client a truncated answer is complete.
 * - `top_p` is clamped into Cohere's `p` range [0.01, 0.99]: OpenAI's ends (1 = no filtering,
 *   0 = greedy) are valid there but rejected by Cohere, whose nearest values mean the same.
 */

const PROVIDER = 'cohere';

/**
 * Thinking budgets per OpenAI effort. Cohere's reasoning models spend a few thousand tokens on a
 * typical problem; `high` leaves room for long derivations while staying well inside the 32k
 * output window of command-a-reasoning.
 */
export const THINKING_BUDGET: Record<NonNullable<ChatRequest['reasoning_effort']>, number> = {
  minimal: 512,
  low: 2048,
  medium: 8192,
  high: 24576,
};

const FINISH: Record<string, FinishReason> = {
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  USER_CANCEL: 'stop',
  MAX_TOKENS: 'length',
  // Cut short by a limit other than max_tokens (time, context): the answer is incomplete as with length.
  TIMEOUT: 'length',
  ERROR_LIMIT: 'length',
  TOOL_CALL: 'tool_calls',
  ERROR_TOXIC: 'content_filter',
  ERROR: 'content_filter',
};

export function cohereFinishReason(reason: unknown): FinishReason {
  return (typeof reason === 'string' ? FINISH[reason] : undefined) ?? 'stop';
}

// ---- request ----

function textOnly(content: string | ContentPart[], where: string): string {
  if (typeof content !== 'string' && content.some((p) => p.type !== 'text'))
    throw unsupported(`${where}.content`, PROVIDER, 'images are accepted in user messages only');
  return textOf(content) ?? '';
}

function userContent(content: string | ContentPart[]): unknown {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : {
          type: 'image_url',
          image_url: {
            url: part.image_url.url,
            ...(part.image_url.detail ? { detail: part.image_url.detail } : {}),
          },
        },
  );
}

function message(msg: ChatMessage, i: number): Record<string, unknown> {
  const where = `messages[${i}]`;
  if ('name' in msg && msg.name !== undefined)
    throw unsupported(`${where}.name`, PROVIDER, 'Cohere messages carry no participant name');
  switch (msg.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOnly(msg.content, where) };
    case 'user':
      return { role: 'user', content: userContent(msg.content) };
    case 'assistant': {
      const out: Record<string, unknown> = { role: 'assistant' };
      const text = msg.content == null ? null : textOnly(msg.content, where);
      if (text) out['content'] = text;
      if (msg.tool_calls && msg.tool_calls.length > 0) {
        out['tool_calls'] = msg.tool_calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.function.name, arguments: c.function.arguments },
        }));
      } else if (!text) {
        out['content'] = '';
      }
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: msg.tool_call_id, content: textOnly(msg.content, where) };
  }
}

function tools(list: FunctionTool[]): { tools: unknown[]; strict?: boolean } {
  const strict = list.map((t) => t.function.strict === true);
  if (strict.some((s) => s) && !strict.every((s) => s))
    throw unsupported(
      'tools[].function.strict',
      PROVIDER,
      'Cohere turns strict tool schemas on for all tools at once (strict_tools), so it must be the same on every tool',
    );
  return {
    tools: list.map((t) => ({
      type: 'function',
      function: {
        name: t.function.name,
        ...(t.function.description !== undefined ? { description: t.function.description } : {}),
        parameters: t.function.parameters ?? { type: 'object', properties: {} },
      },
    })),
    ...(strict.length > 0 && strict.every((s) => s) ? { strict: true } : {}),
  };
}

function penalty(field: 'presence_penalty' | 'frequency_penalty', value: number): number {
  if (value < 0 || value > 1) throw unsupported(field, PROVIDER, `Cohere accepts 0 to 1 only, got ${value}`);
  return value;
}

export function cohereRequest(req: ChatRequest): NativeRequest {
  if (req.n !== undefined && req.n !== 1)
    throw unsupported('n', PROVIDER, 'Cohere returns one choice per request');
  if (req.user !== undefined) throw unsupported('user', PROVIDER, 'Cohere has no end-user id field');
  if (req.parallel_tool_calls === false)
    throw unsupported('parallel_tool_calls', PROVIDER, 'Cohere cannot be limited to one tool call per turn');

  const body: Record<string, unknown> = { model: req.model, messages: req.messages.map(message) };
  if (req.stream) body['stream'] = true;

  if (req.tools && req.tools.length > 0) {
    const t = tools(req.tools);
    body['tools'] = t.tools;
    if (t.strict) body['strict_tools'] = true;
  }
  const choice = req.tool_choice;
  if (typeof choice === 'object')
    throw unsupported(
      'tool_choice',
      PROVIDER,
      'Cohere can force some tool call (REQUIRED) or none (NONE) but not a named function',
    );
  if (choice === 'required') body['tool_choice'] = 'REQUIRED';
  // With no tools there is nothing to forbid, and Cohere rejects a tool_choice without tools.
  if (choice === 'none' && body['tools']) body['tool_choice'] = 'NONE';

  const format = req.response_format;
  if (format?.type === 'json_object') body['response_format'] = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    const { schema, description } = format.json_schema;
    // The schema's own description is where Cohere's constrained decoding can see the text.
    const withDescription =
      schema && description !== undefined && schema['description'] === undefined
        ? { ...schema, description }
        : schema;
    if (!schema && description !== undefined)
      throw unsupported('response_format.json_schema.description', PROVIDER, 'it needs a schema to live in');
    body['response_format'] = {
      type: 'json_object',
      ...(withDescription ? { json_schema: withDescription } : {}),
    };
  }

  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.top_p !== undefined) body['p'] = Math.min(0.99, Math.max(0.01, req.top_p));
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens !== undefined) body['max_tokens'] = maxTokens;
  if (req.stop !== undefined) body['stop_sequences'] = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.seed !== undefined) body['seed'] = req.seed;
  if (req.presence_penalty !== undefined)
    body['presence_penalty'] = penalty('presence_penalty', req.presence_penalty);
  if (req.frequency_penalty !== undefined)
    body['frequency_penalty'] = penalty('frequency_penalty', req.frequency_penalty);
  if (req.reasoning_effort !== undefined)
    body['thinking'] = { type: 'enabled', token_budget: THINKING_BUDGET[req.reasoning_effort] };

  return { path: 'v2/chat', body };
}

// ---- response ----

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `tokens` is what the model processed (OpenAI's meaning); `billed_units` only when it is absent. */
export function cohereUsage(value: unknown): ChatUsage | undefined {
  const u = record(value);
  if (!u) return undefined;
  const tokens = record(u['tokens']);
  const billed = record(u['billed_units']);
  const input = num(tokens?.['input_tokens']) ?? num(billed?.['input_tokens']);
  const output = num(tokens?.['output_tokens']) ?? num(billed?.['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  return chatUsage(input ?? 0, output ?? 0, num(u['cached_tokens']));
}

function toolCall(value: unknown): ToolCall | undefined {
  const c = record(value);
  const fn = record(c?.['function']);
  const id = str(c?.['id']);
  const name = str(fn?.['name']);
  if (id === undefined || name === undefined) return undefined;
  return { id, type: 'function', function: { name, arguments: str(fn?.['arguments']) ?? '{}' } };
}

/** Thinking and the tool plan both become reasoning text; a blank line keeps them apart. */
const REASONING_GAP = '\n\n';

export function cohereResponse(body: unknown, ctx: ResponseContext): ChatCompletion {
  const b = record(body) ?? {};
  const msg = record(b['message']) ?? {};
  const parts = Array.isArray(msg['content']) ? msg['content'].map(record) : [];
  const texts: string[] = [];
  const thoughts: string[] = [];
  if (typeof msg['content'] === 'string') texts.push(msg['content']);
  for (const part of parts) {
    if (part?.['type'] === 'text') texts.push(str(part['text']) ?? '');
    else if (part?.['type'] === 'thinking') thoughts.push(str(part['thinking']) ?? '');
  }
  const reasoning = [thoughts.join(''), str(msg['tool_plan']) ?? '']
    .filter((r) => r !== '')
    .join(REASONING_GAP);
  const toolCalls = (Array.isArray(msg['tool_calls']) ? msg['tool_calls'] : [])
    .map(toolCall)
    .filter((c): c is ToolCall => c !== undefined);
  return completion(
    ctx,
    { content: texts.length > 0 ? texts.join('') : null, toolCalls, reasoning },
    cohereFinishReason(b['finish_reason']),
    cohereUsage(b['usage']),
  );
}

// ---- stream ----

type Delta = ChatCompletionChunk['choices'][number]['delta'];

export function cohereStream(ctx: ResponseContext): StreamTranslator {
  let usage: ChatUsage | undefined;
  /** Cohere's tool-call `index` → OpenAI's, which counts calls from 0 in order of appearance. */
  const callIndex = new Map<number, number>();
  let lastCall = -1;
  let lastReasoning: 'thinking' | 'plan' | undefined;

  const reasoning = (source: 'thinking' | 'plan', text: string): Delta => {
    const gap = lastReasoning !== undefined && lastReasoning !== source ? REASONING_GAP : '';
    lastReasoning = source;
    return { reasoning_content: gap + text };
  };

  return {
    event(name, data) {
      const e = eventJson(data);
      if (!e) return [];
      const type = name || str(e['type']) || '';
      const delta = record(e['delta']);
      const message = record(delta?.['message']);
      switch (type) {
        case 'message-start':
          return [chunk(ctx, { role: 'assistant', content: '' })];
        case 'content-start':
        case 'content-delta': {
          const content = record(message?.['content']);
          const out: ChatCompletionChunk[] = [];
          const thinking = str(content?.['thinking']);
          const text = str(content?.['text']);
          if (thinking) out.push(chunk(ctx, reasoning('thinking', thinking)));
          if (text) out.push(chunk(ctx, { content: text }));
          return out;
        }
        case 'tool-plan-delta': {
          const plan = str(message?.['tool_plan']);
          return plan ? [chunk(ctx, reasoning('plan', plan))] : [];
        }
        case 'tool-call-start': {
          const call = toolCall({
            ...record(message?.['tool_calls']),
            function: { arguments: '', ...record(record(message?.['tool_calls'])?.['function']) },
          });
          if (!call) return [];
          lastCall = callIndex.size;
          callIndex.set(num(e['index']) ?? lastCall, lastCall);
          return [
            chunk(ctx, {
              tool_calls: [{ index: lastCall, id: call.id, type: 'function', function: call.function }],
            }),
          ];
        }
        case 'tool-call-delta': {
          const args = str(record(record(message?.['tool_calls'])?.['function'])?.['arguments']);
          if (!args) return [];
          const index = callIndex.get(num(e['index']) ?? -1) ?? lastCall;
          if (index < 0) return [];
          return [chunk(ctx, { tool_calls: [{ index, function: { arguments: args } }] })];
        }
        case 'message-end':
          usage = cohereUsage(delta?.['usage']) ?? usage;
          return [chunk(ctx, {}, cohereFinishReason(delta?.['finish_reason']))];
        default:
          // content-end, tool-call-end, citation-start/-end, debug: nothing for OpenAI's stream.
          return [];
      }
    },
    end() {
      return ctx.includeUsage && usage ? [usageChunk(ctx, usage)] : [];
    },
  };
}

export const cohereTarget: ChatTarget = {
  provider: PROVIDER,
  request: cohereRequest,
  response: cohereResponse,
  stream: cohereStream,
};
