import {
  chatUsage,
  chunk,
  completion,
  eventJson,
  parseArguments,
  parseDataUrl,
  textOf,
  usageChunk,
} from '../shared.ts';
import {
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatRequest,
  type ChatTarget,
  type ChatUsage,
  CompatError,
  type ContentPart,
  type FinishReason,
  type ResponseContext,
  type StreamTranslator,
  type ToolCall,
  unsupported,
} from '../types.ts';

/**
 * OpenAI chat completions ↔ Anthropic Messages (`POST v1/messages`).
 *
 * Anthropic has no JSON mode. `response_format` is honoured the way Anthropic documents for
 * structured output without a beta: one tool whose input schema is the wanted schema, forced with
 * `tool_choice`; its input comes back to the caller as the message content, so the caller sees
 * exactly what OpenAI's JSON mode would give.
 */

const PROVIDER = 'anthropic';
/** Anthropic requires `max_tokens`; OpenAI does not. This is what a request without one gets. */
export const DEFAULT_MAX_TOKENS = 4096;
/** `reasoning_effort` → thinking budget (Anthropic's minimum budget is 1024 tokens). */
const THINKING_BUDGET = { minimal: 1024, low: 2048, medium: 8192, high: 24576 } as const;
/** The forced tool that carries a `response_format` answer. */
const JSON_TOOL = 'json_response';

type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

function imageBlock(part: Extract<ContentPart, { type: 'image_url' }>): Block {
  // `detail` picks a resolution/price tier Anthropic has no equivalent for; 'auto' is its behaviour.
  if (part.image_url.detail !== undefined && part.image_url.detail !== 'auto')
    throw unsupported(
      'messages[].content[].image_url.detail',
      PROVIDER,
      'Anthropic has no image detail level',
    );
  const url = part.image_url.url;
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  if (!/^https?:\/\//i.test(url))
    throw new CompatError('image_url.url must be an http(s) URL or a base64 data: URL');
  return { type: 'image', source: { type: 'url', url } };
}

function contentBlocks(content: string | ContentPart[] | null | undefined): Block[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : imageBlock(p)));
}

/** Anthropic wants user and assistant turns alternating; consecutive same-role messages merge. */
function push(turns: Turn[], role: Turn['role'], blocks: Block[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

function translateMessages(messages: ChatMessage[]): { system: string | undefined; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const m of messages) {
    if ('name' in m && m.name !== undefined)
      throw unsupported('messages[].name', PROVIDER, 'Anthropic messages carry no participant name');
    switch (m.role) {
      case 'system':
      case 'developer': {
        if (typeof m.content !== 'string' && m.content.some((p) => p.type !== 'text'))
          throw unsupported('messages[].content (image in a system message)', PROVIDER);
        system.push(textOf(m.content) ?? '');
        break;
      }
      case 'user':
        push(turns, 'user', contentBlocks(m.content));
        break;
      case 'assistant': {
        const blocks = contentBlocks(m.content);
        for (const call of m.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: call.id,
            name: call.function.name,
            input: parseArguments(call.function.arguments, PROVIDER),
          });
        }
        push(turns, 'assistant', blocks);
        break;
      }
      case 'tool':
        push(turns, 'user', [
          { type: 'tool_result', tool_use_id: m.tool_call_id, content: contentBlocks(m.content) },
        ]);
        break;
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

function toolChoice(req: ChatRequest): Block | undefined {
  const choice = req.tool_choice;
  // Anthropic rejects tool_choice without tools; 'auto' and 'none' mean nothing there anyway.
  if (!req.tools?.length) {
    if (choice === 'required' || typeof choice === 'object')
      throw new CompatError('"tool_choice" asks for a tool call but the request has no "tools"');
    return undefined;
  }
  let out: Block | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (choice) out = { type: 'tool', name: choice.function.name };
  if (req.parallel_tool_calls === false) {
    if (out?.type === 'none') return out;
    out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return out;
}

function request(req: ChatRequest) {
  if (req.n !== undefined && req.n !== 1) throw unsupported('n', PROVIDER, 'Anthropic returns one choice');
  for (const field of ['seed', 'presence_penalty', 'frequency_penalty'] as const) {
    if (req[field] !== undefined) throw unsupported(field, PROVIDER);
  }
  if (req.temperature !== undefined && req.temperature > 1)
    throw unsupported('temperature above 1', PROVIDER, 'Anthropic accepts 0 to 1');
  const { system, turns } = translateMessages(req.messages);
  if (turns.length === 0) throw new CompatError('messages needs at least one user or assistant message');
  const body: Record<string, unknown> = { model: req.model, messages: turns };
  if (system !== undefined) body['system'] = system;
  const asked = req.max_completion_tokens ?? req.max_tokens;
  body['max_tokens'] = asked ?? DEFAULT_MAX_TOKENS;
  if (req.reasoning_effort) {
    if (req.temperature !== undefined && req.temperature !== 1)
      throw unsupported(
        'temperature with reasoning_effort',
        PROVIDER,
        'extended thinking runs at temperature 1',
      );
    // Anthropic's thinking cannot run when the model is made to call a tool.
    if (usesJsonTool(req))
      throw unsupported(
        'response_format with reasoning_effort',
        PROVIDER,
        'JSON output is a forced tool call, which extended thinking does not allow',
      );
    if (req.tool_choice === 'required' || typeof req.tool_choice === 'object')
      throw unsupported(
        'tool_choice with reasoning_effort',
        PROVIDER,
        'extended thinking allows only tool_choice "auto" or "none"',
      );
    if (req.top_p !== undefined && req.top_p < 0.95)
      throw unsupported(
        'top_p below 0.95 with reasoning_effort',
        PROVIDER,
        'extended thinking needs top_p ≥ 0.95',
      );
    const budget = THINKING_BUDGET[req.reasoning_effort];
    // OpenAI's token cap includes reasoning; Anthropic's budget must fit below max_tokens.
    if (asked === undefined) body['max_tokens'] = budget + DEFAULT_MAX_TOKENS;
    else if (asked <= 1024)
      throw unsupported(
        'reasoning_effort with max_tokens ≤ 1024',
        PROVIDER,
        'the smallest thinking budget is 1024',
      );
    body['thinking'] = {
      type: 'enabled',
      budget_tokens: Math.min(budget, (body['max_tokens'] as number) - 1),
    };
  }
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.top_p !== undefined) body['top_p'] = req.top_p;
  if (req.stop !== undefined) body['stop_sequences'] = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.stream) body['stream'] = true;
  if (req.user !== undefined) body['metadata'] = { user_id: req.user };
  const choice = toolChoice(req);
  const format = req.response_format;
  if (format && format.type !== 'text') {
    if (req.tools?.length) throw unsupported('response_format with tools', PROVIDER);
    const schema =
      format.type === 'json_schema' ? (format.json_schema.schema ?? { type: 'object' }) : { type: 'object' };
    const description = (format.type === 'json_schema' && format.json_schema.description) || undefined;
    body['tools'] = [
      {
        name: JSON_TOOL,
        description: description ?? 'Answer with a JSON object matching this schema.',
        input_schema: schema,
      },
    ];
    body['tool_choice'] = { type: 'tool', name: JSON_TOOL };
    return { path: 'v1/messages', body };
  }
  if (req.tools?.length) {
    body['tools'] = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  if (choice) body['tool_choice'] = choice;
  return { path: 'v1/messages', body };
}

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's prompt includes them. */
function usageOf(u: Record<string, unknown> | undefined, outputTokens?: number): ChatUsage {
  const read = num(u?.['cache_read_input_tokens']);
  const write = num(u?.['cache_creation_input_tokens']);
  return chatUsage(num(u?.['input_tokens']) + read + write, outputTokens ?? num(u?.['output_tokens']), read);
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function response(body: unknown, ctx: ResponseContext) {
  const b = record(body) ?? {};
  const blocks = Array.isArray(b['content']) ? (b['content'] as Block[]) : [];
  let text = '';
  let reasoning = '';
  let jsonAnswer: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (block['type'] === 'text') text += String(block['text'] ?? '');
    else if (block['type'] === 'thinking') reasoning += String(block['thinking'] ?? '');
    else if (block['type'] === 'tool_use' && block['name'] === JSON_TOOL && usesJsonTool(ctx.request))
      jsonAnswer = JSON.stringify(block['input'] ?? {});
    else if (block['type'] === 'tool_use') {
      toolCalls.push({
        id: String(block['id']),
        type: 'function',
        function: { name: String(block['name']), arguments: JSON.stringify(block['input'] ?? {}) },
      });
    }
  }
  let finish = FINISH[String(b['stop_reason'])] ?? 'stop';
  if (jsonAnswer !== undefined && finish === 'tool_calls') finish = 'stop';
  return completion(
    ctx,
    { content: jsonAnswer ?? (text || (toolCalls.length > 0 ? null : '')), toolCalls, reasoning },
    finish,
    usageOf(record(b['usage'])),
  );
}

/** Anthropic's events, one content block at a time, as OpenAI chunks. */
class AnthropicStream implements StreamTranslator {
  readonly #ctx: ResponseContext;
  readonly #jsonTool: boolean;
  /** Content block index → what it is: text, thinking, the JSON answer, or tool call number n. */
  readonly #blocks = new Map<number, 'text' | 'thinking' | 'json' | number>();
  /** Tool blocks whose input has streamed some text; one that ends with none had input `{}`. */
  readonly #argued = new Set<number>();
  #tools = 0;
  #input: Record<string, unknown> | undefined;
  #output = 0;

  constructor(ctx: ResponseContext) {
    this.#ctx = ctx;
    this.#jsonTool = usesJsonTool(ctx.request);
  }

  event(_name: string, data: string): ChatCompletionChunk[] {
    const e = eventJson(data);
    if (!e) return [];
    const ctx = this.#ctx;
    switch (e['type']) {
      case 'message_start': {
        const usage = record(record(e['message'])?.['usage']);
        this.#input = usage;
        this.#output = num(usage?.['output_tokens']);
        return [chunk(ctx, { role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const index = num(e['index']);
        const block = record(e['content_block']) ?? {};
        if (block['type'] === 'tool_use' && block['name'] === JSON_TOOL && this.#jsonTool) {
          this.#blocks.set(index, 'json');
          return [];
        }
        if (block['type'] === 'tool_use') {
          const n = this.#tools++;
          this.#blocks.set(index, n);
          return [
            chunk(ctx, {
              tool_calls: [
                {
                  index: n,
                  id: String(block['id']),
                  type: 'function',
                  function: { name: String(block['name']), arguments: '' },
                },
              ],
            }),
          ];
        }
        this.#blocks.set(index, block['type'] === 'thinking' ? 'thinking' : 'text');
        return [];
      }
      case 'content_block_delta': {
        const kind = this.#blocks.get(num(e['index']));
        const delta = record(e['delta']) ?? {};
        if (delta['type'] === 'text_delta') return [chunk(ctx, { content: String(delta['text'] ?? '') })];
        if (delta['type'] === 'thinking_delta')
          return [chunk(ctx, { reasoning_content: String(delta['thinking'] ?? '') })];
        if (delta['type'] === 'input_json_delta') {
          const partial = String(delta['partial_json'] ?? '');
          if (partial === '') return [];
          this.#argued.add(num(e['index']));
          if (kind === 'json') return [chunk(ctx, { content: partial })];
          if (typeof kind === 'number')
            return [chunk(ctx, { tool_calls: [{ index: kind, function: { arguments: partial } }] })];
        }
        return [];
      }
      case 'content_block_stop': {
        // A call without arguments streams no JSON; OpenAI clients then parse "" and fail.
        const index = num(e['index']);
        const kind = this.#blocks.get(index);
        if (this.#argued.has(index)) return [];
        if (kind === 'json') return [chunk(ctx, { content: '{}' })];
        if (typeof kind === 'number')
          return [chunk(ctx, { tool_calls: [{ index: kind, function: { arguments: '{}' } }] })];
        return [];
      }
      case 'message_delta': {
        const usage = record(e['usage']);
        if (usage?.['output_tokens'] !== undefined) this.#output = num(usage['output_tokens']);
        // Later Anthropic versions repeat the input counts here; they win when present.
        if (usage?.['input_tokens'] !== undefined) this.#input = { ...this.#input, ...usage };
        const reason = record(e['delta'])?.['stop_reason'];
        if (typeof reason !== 'string') return [];
        let finish = FINISH[reason] ?? 'stop';
        if (finish === 'tool_calls' && this.#tools === 0) finish = 'stop';
        return [chunk(ctx, {}, finish)];
      }
      default:
        return [];
    }
  }

  end(): ChatCompletionChunk[] {
    if (!this.#ctx.includeUsage) return [];
    return [usageChunk(this.#ctx, usageOf(this.#input, this.#output))];
  }
}

/** Whether this request was turned into the forced JSON tool (the answer is then content). */
function usesJsonTool(req: ChatRequest | undefined): boolean {
  return req?.response_format !== undefined && req.response_format.type !== 'text';
}

export const anthropicTarget: ChatTarget = {
  provider: PROVIDER,
  request,
  response,
  stream: (ctx) => new AnthropicStream(ctx),
};
