/**
 * `/compat/v1/messages`: Anthropic Messages API requests served by any provider. The request is
 * turned into an OpenAI chat request (which every `/compat` target already speaks), and the
 * OpenAI answer back into Anthropic's Message or its SSE events. All pure.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  ChatUsage,
  ContentPart,
  FinishReason,
  FunctionTool,
  ToolCall,
  ToolChoice,
} from './types.ts';
import { CompatError } from './types.ts';

// ---- request: Anthropic → OpenAI ----

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, what: string): CompatError {
  return new CompatError(`"${path}" ${what}`);
}

function notSupported(path: string, why: string): CompatError {
  return new CompatError(`"${path}" is not supported on /compat/v1/messages: ${why}; remove it`);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw fail(path, 'must be an object');
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw fail(path, 'must be a string');
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(path, 'must be a number');
  return v;
}

function int(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw fail(path, `must be an integer >= ${min}`);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw fail(path, 'must be an array');
  return v;
}

/** Every key of `o` must be one this translation understands; the rest would be silently lost. */
function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key))
      throw notSupported(`${path}.${key}`, 'the OpenAI chat format has no equivalent');
  }
}

/**
 * `cache_control` is accepted and not forwarded: it only asks Anthropic to cache a prefix, which
 * changes cost, never the answer, and OpenAI-format providers cache prefixes on their own.
 * Rejecting it would turn away most Anthropic SDK clients (they mark their system prompt).
 */
function checkCacheControl(v: unknown, path: string): void {
  if (v == null) return;
  const cc = obj(v, path);
  if (cc['type'] !== 'ephemeral') throw fail(`${path}.type`, 'must be "ephemeral"');
  onlyKeys(cc, ['type', 'ttl'], path);
}

function textBlock(b: Obj, path: string): string {
  onlyKeys(b, ['type', 'text', 'cache_control', 'citations'], path);
  checkCacheControl(b['cache_control'], `${path}.cache_control`);
  if (b['citations'] != null && arr(b['citations'], `${path}.citations`).length > 0)
    throw notSupported(`${path}.citations`, 'the OpenAI chat format has no citations');
  return str(b['text'], `${path}.text`);
}

function imagePart(b: Obj, path: string): ContentPart {
  onlyKeys(b, ['type', 'source', 'cache_control'], path);
  checkCacheControl(b['cache_control'], `${path}.cache_control`);
  const source = obj(b['source'], `${path}.source`);
  if (source['type'] === 'base64') {
    onlyKeys(source, ['type', 'media_type', 'data'], `${path}.source`);
    const mediaType = str(source['media_type'], `${path}.source.media_type`);
    const data = str(source['data'], `${path}.source.data`);
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${data}` } };
  }
  if (source['type'] === 'url') {
    onlyKeys(source, ['type', 'url'], `${path}.source`);
    return { type: 'image_url', image_url: { url: str(source['url'], `${path}.source.url`) } };
  }
  throw notSupported(
    `${path}.source.type`,
    `image source ${JSON.stringify(source['type'])} cannot be sent in the OpenAI chat format (use "base64" or "url")`,
  );
}

function toolResultContent(b: Obj, path: string): string {
  const content = b['content'];
  let text: string;
  if (content == null) text = '';
  else if (typeof content === 'string') text = content;
  else {
    // OpenAI tool messages carry text only, so an image in a tool result cannot travel.
    text = arr(content, `${path}.content`)
      .map((part, k) => {
        const p = obj(part, `${path}.content[${k}]`);
        if (p['type'] !== 'text')
          throw notSupported(
            `${path}.content[${k}].type`,
            `a tool result can only carry text in the OpenAI chat format, not ${JSON.stringify(p['type'])}`,
          );
        return textBlock(p, `${path}.content[${k}]`);
      })
      .join('');
  }
  if (b['is_error'] != null && typeof b['is_error'] !== 'boolean')
    throw fail(`${path}.is_error`, 'must be a boolean');
  // OpenAI has no error flag on tool messages; the prefix keeps the failure visible to the model.
  return b['is_error'] === true ? `Error: ${text}` : text;
}

function userMessages(content: unknown, path: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const blocks = arr(content, path);
  const tools: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((raw, j) => {
    const p = `${path}[${j}]`;
    const b = obj(raw, p);
    switch (b['type']) {
      case 'text':
        parts.push({ type: 'text', text: textBlock(b, p) });
        break;
      case 'image':
        parts.push(imagePart(b, p));
        break;
      case 'tool_result':
        onlyKeys(b, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'], p);
        checkCacheControl(b['cache_control'], `${p}.cache_control`);
        tools.push({
          role: 'tool',
          tool_call_id: str(b['tool_use_id'], `${p}.tool_use_id`),
          content: toolResultContent(b, p),
        });
        break;
      default:
        throw notSupported(
          `${p}.type`,
          `a user content block of type ${JSON.stringify(b['type'])} cannot be sent in the OpenAI chat format`,
        );
    }
  });
  // OpenAI wants tool answers right after the assistant turn that called them, before new user text.
  return parts.length > 0 || tools.length === 0 ? [...tools, { role: 'user', content: parts }] : tools;
}

function assistantMessage(content: unknown, path: string): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  arr(content, path).forEach((raw, j) => {
    const p = `${path}[${j}]`;
    const b = obj(raw, p);
    switch (b['type']) {
      case 'text':
        texts.push(textBlock(b, p));
        break;
      case 'tool_use': {
        onlyKeys(b, ['type', 'id', 'name', 'input', 'cache_control'], p);
        checkCacheControl(b['cache_control'], `${p}.cache_control`);
        toolCalls.push({
          id: str(b['id'], `${p}.id`),
          type: 'function',
          function: {
            name: str(b['name'], `${p}.name`),
            arguments: JSON.stringify(obj(b['input'], `${p}.input`)),
          },
        });
        break;
      }
      case 'thinking':
      case 'redacted_thinking':
        // Dropped: a thinking block is only valid with the signature its own provider minted, and
        // the OpenAI chat format has no field to carry it; other providers reject foreign signatures.
        break;
      default:
        throw notSupported(
          `${p}.type`,
          `an assistant content block of type ${JSON.stringify(b['type'])} cannot be sent in the OpenAI chat format`,
        );
    }
  });
  return {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

function systemContent(v: unknown, path: string): string | ContentPart[] {
  if (typeof v === 'string') return v;
  return arr(v, path).map((raw, j): ContentPart => {
    const b = obj(raw, `${path}[${j}]`);
    if (b['type'] !== 'text') throw fail(`${path}[${j}].type`, 'must be "text"');
    return { type: 'text', text: textBlock(b, `${path}[${j}]`) };
  });
}

function tool(raw: unknown, path: string): FunctionTool {
  const t = obj(raw, path);
  if (t['type'] != null && t['type'] !== 'custom')
    throw notSupported(
      `${path}.type`,
      `the server tool ${JSON.stringify(t['type'])} runs on Anthropic's side and has no OpenAI chat equivalent`,
    );
  onlyKeys(t, ['type', 'name', 'description', 'input_schema', 'cache_control', 'strict'], path);
  checkCacheControl(t['cache_control'], `${path}.cache_control`);
  const fn: FunctionTool['function'] = {
    name: str(t['name'], `${path}.name`),
    parameters: obj(t['input_schema'], `${path}.input_schema`),
  };
  if (t['description'] != null) fn.description = str(t['description'], `${path}.description`);
  if (t['strict'] != null) {
    if (typeof t['strict'] !== 'boolean') throw fail(`${path}.strict`, 'must be a boolean');
    fn.strict = t['strict'];
  }
  return { type: 'function', function: fn };
}

function toolChoice(raw: unknown, chat: ChatRequest): void {
  const tc = obj(raw, 'tool_choice');
  let choice: ToolChoice;
  switch (tc['type']) {
    case 'auto':
      choice = 'auto';
      break;
    case 'any':
      choice = 'required';
      break;
    case 'none':
      choice = 'none';
      break;
    case 'tool':
      choice = { type: 'function', function: { name: str(tc['name'], 'tool_choice.name') } };
      break;
    default:
      throw fail('tool_choice.type', 'must be one of "auto", "any", "tool", "none"');
  }
  onlyKeys(
    tc,
    tc['type'] === 'tool'
      ? ['type', 'name', 'disable_parallel_tool_use']
      : ['type', 'disable_parallel_tool_use'],
    'tool_choice',
  );
  chat.tool_choice = choice;
  const dp = tc['disable_parallel_tool_use'];
  if (dp != null && typeof dp !== 'boolean')
    throw fail('tool_choice.disable_parallel_tool_use', 'must be a boolean');
  // `false` is both formats' default, so only `true` needs saying.
  if (dp === true) chat.parallel_tool_calls = false;
}

/** Anthropic sizes thinking by a token budget, OpenAI by a coarse effort. */
function effortOfBudget(budget: number): 'low' | 'medium' | 'high' {
  if (budget < 4096) return 'low';
  if (budget < 16384) return 'medium';
  return 'high';
}

function thinking(raw: unknown, chat: ChatRequest): void {
  const t = obj(raw, 'thinking');
  switch (t['type']) {
    case 'enabled':
      onlyKeys(t, ['type', 'budget_tokens'], 'thinking');
      chat.reasoning_effort = effortOfBudget(int(t['budget_tokens'], 'thinking.budget_tokens', 1));
      return;
    case 'adaptive':
    case 'disabled':
      // Both mean "the model's own default", which is what sending no reasoning_effort asks for.
      onlyKeys(t, ['type'], 'thinking');
      return;
    default:
      throw fail('thinking.type', 'must be "enabled", "adaptive" or "disabled"');
  }
}

function outputConfig(raw: unknown, chat: ChatRequest): void {
  const oc = obj(raw, 'output_config');
  onlyKeys(oc, ['effort', 'format'], 'output_config');
  const effort = oc['effort'];
  if (effort != null) {
    if (effort !== 'low' && effort !== 'medium' && effort !== 'high')
      throw notSupported(
        'output_config.effort',
        `the OpenAI chat format's reasoning_effort stops at "high", so ${JSON.stringify(effort)} cannot be honoured`,
      );
    // The explicit effort is the finer statement of intent, so it wins over a thinking budget.
    chat.reasoning_effort = effort;
  }
  if (oc['format'] != null) {
    const f = obj(oc['format'], 'output_config.format');
    if (f['type'] !== 'json_schema') throw fail('output_config.format.type', 'must be "json_schema"');
    onlyKeys(f, ['type', 'schema'], 'output_config.format');
    chat.response_format = {
      type: 'json_schema',
      // Anthropic's structured outputs are always enforced, which is OpenAI's `strict`.
      json_schema: { name: 'output', schema: obj(f['schema'], 'output_config.format.schema'), strict: true },
    };
  }
}

const REQUEST_KEYS = [
  'model',
  'max_tokens',
  'messages',
  'system',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'output_config',
  'cache_control',
] as const;

/** An Anthropic Messages request → the OpenAI chat request that asks the same. */
export function messagesToChat(body: unknown): { chat: ChatRequest; model: string } {
  const b = obj(body, 'body');
  for (const key of Object.keys(b)) {
    if (!(REQUEST_KEYS as readonly string[]).includes(key))
      throw notSupported(key, 'the OpenAI chat format has no equivalent');
  }
  if (b['top_k'] != null) throw notSupported('top_k', 'the OpenAI chat format has no top_k');
  if (b['model'] == null) throw fail('model', 'is required');
  const model = str(b['model'], 'model');
  if (model === '') throw fail('model', 'must not be empty');
  if (b['max_tokens'] == null) throw fail('max_tokens', 'is required');
  const maxTokens = int(b['max_tokens'], 'max_tokens', 1);
  if (b['messages'] == null) throw fail('messages', 'is required');
  const input = arr(b['messages'], 'messages');
  if (input.length === 0) throw fail('messages', 'must not be empty');
  checkCacheControl(b['cache_control'], 'cache_control');

  const messages: ChatMessage[] = [];
  if (b['system'] != null) messages.push({ role: 'system', content: systemContent(b['system'], 'system') });
  input.forEach((raw, i) => {
    const path = `messages[${i}]`;
    const m = obj(raw, path);
    onlyKeys(m, ['role', 'content'], path);
    if (m['content'] == null) throw fail(`${path}.content`, 'is required');
    switch (m['role']) {
      case 'user':
        messages.push(...userMessages(m['content'], `${path}.content`));
        break;
      case 'assistant':
        messages.push(assistantMessage(m['content'], `${path}.content`));
        break;
      case 'system':
        messages.push({ role: 'system', content: systemContent(m['content'], `${path}.content`) });
        break;
      default:
        throw fail(`${path}.role`, 'must be "user" or "assistant"');
    }
  });

  const chat: ChatRequest = { model, messages, max_completion_tokens: maxTokens };
  if (b['temperature'] != null) chat.temperature = num(b['temperature'], 'temperature');
  if (b['top_p'] != null) chat.top_p = num(b['top_p'], 'top_p');
  if (b['stop_sequences'] != null)
    chat.stop = arr(b['stop_sequences'], 'stop_sequences').map((s, i) => str(s, `stop_sequences[${i}]`));
  if (b['stream'] != null) {
    if (typeof b['stream'] !== 'boolean') throw fail('stream', 'must be a boolean');
    // Anthropic reports usage at the end of every stream; OpenAI only when asked.
    if (b['stream']) {
      chat.stream = true;
      chat.stream_options = { include_usage: true };
    }
  }
  if (b['tools'] != null) chat.tools = arr(b['tools'], 'tools').map((t, i) => tool(t, `tools[${i}]`));
  if (b['tool_choice'] != null) toolChoice(b['tool_choice'], chat);
  if (b['thinking'] != null) thinking(b['thinking'], chat);
  if (b['output_config'] != null) outputConfig(b['output_config'], chat);
  if (b['metadata'] != null) {
    const md = obj(b['metadata'], 'metadata');
    onlyKeys(md, ['user_id'], 'metadata');
    if (md['user_id'] != null) chat.user = str(md['user_id'], 'metadata.user_id');
  }
  return { chat, model };
}

// ---- response: OpenAI → Anthropic ----

type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

const STOP_REASON: Record<FinishReason, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

/**
 * Some providers end a tool-calling turn with "stop"; Anthropic clients loop on `tool_use`, so
 * the calls themselves decide. (OpenAI does not say which stop sequence matched, so a stop
 * sequence also reads as `end_turn` with `stop_sequence: null`.)
 */
function stopReason(finish: FinishReason | null, hadToolCalls: boolean): StopReason | null {
  if (finish === null) return null;
  if (finish === 'stop' && hadToolCalls) return 'tool_use';
  return STOP_REASON[finish] ?? 'end_turn';
}

/** OpenAI's prompt_tokens includes cached tokens; Anthropic's input_tokens excludes them. */
function splitInput(usage: ChatUsage): { input: number; cached: number } {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return { input: Math.max(0, usage.prompt_tokens - cached), cached };
}

function toolInput(args: string, name: string): unknown {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (isObj(v)) return v;
  } catch {
    // falls through
  }
  throw new CompatError(
    `the model's call to tool "${name}" carried arguments that are not a JSON object: ${JSON.stringify(args.slice(0, 60))}`,
  );
}

/** A `chat.completion` → the Anthropic Message the client expects. */
export function chatToMessage(c: ChatCompletion, model: string, id: string): unknown {
  const choice = c.choices[0];
  const content: Obj[] = [];
  const msg = choice?.message;
  if (msg?.reasoning_content)
    content.push({ type: 'thinking', thinking: msg.reasoning_content, signature: '' });
  if (msg?.content) content.push({ type: 'text', text: msg.content });
  const calls = msg?.tool_calls ?? [];
  for (const call of calls)
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments, call.function.name),
    });
  const usage = c.usage ? splitInput(c.usage) : { input: 0, cached: 0 };
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(choice?.finish_reason ?? null, calls.length > 0),
    stop_sequence: null,
    usage: {
      input_tokens: usage.input,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: usage.cached,
      output_tokens: c.usage?.completion_tokens ?? 0,
    },
  };
}

export interface MessagesEvent {
  event: string;
  data: unknown;
}

type OpenBlock = { kind: 'text' | 'thinking' | 'tool' };

/** OpenAI chunks → Anthropic's SSE events, in the order Anthropic sends them. */
export class MessagesStreamWriter {
  readonly #model: string;
  readonly #id: string;
  #started = false;
  #pinged = false;
  #ended = false;
  #open: OpenBlock | null = null;
  #index = -1;
  /** OpenAI tool-call index → the Anthropic block index it streams into. */
  readonly #callBlocks = new Map<number, number>();
  #finish: FinishReason | null = null;
  #usage: ChatUsage | null = null;

  constructor(model: string, id: string) {
    this.#model = model;
    this.#id = id;
  }

  chunk(c: ChatCompletionChunk): MessagesEvent[] {
    const out: MessagesEvent[] = [];
    this.#start(out);
    if (c.usage) this.#usage = c.usage;
    for (const choice of c.choices) {
      // `/compat/v1/messages` never asks for n > 1, so only the first choice exists.
      if (choice.index !== 0) continue;
      const d = choice.delta;
      if (d.reasoning_content) this.#text(out, 'thinking', d.reasoning_content);
      if (d.content) this.#text(out, 'text', d.content);
      for (const tc of d.tool_calls ?? []) this.#toolCall(out, tc);
      if (choice.finish_reason) {
        this.#finish = choice.finish_reason;
        // The usage chunk comes after the finish; the block is complete now, the message is not.
        this.#close(out);
      }
    }
    return out;
  }

  end(): MessagesEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const out: MessagesEvent[] = [];
    this.#start(out);
    this.#close(out);
    const usage: Obj = { output_tokens: this.#usage?.completion_tokens ?? 0 };
    if (this.#usage) {
      // message_start went out before any count was known; these overwrite its placeholders.
      const { input, cached } = splitInput(this.#usage);
      usage['input_tokens'] = input;
      usage['cache_read_input_tokens'] = cached;
    }
    out.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.#finish, this.#callBlocks.size > 0), stop_sequence: null },
        usage,
      },
    });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return out;
  }

  #start(out: MessagesEvent[]): void {
    if (this.#started) return;
    this.#started = true;
    out.push({
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: this.#id,
          type: 'message',
          role: 'assistant',
          model: this.#model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // OpenAI counts arrive only in the last chunk; message_delta carries the real ones.
          usage: {
            input_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      },
    });
  }

  #openBlock(out: MessagesEvent[], block: OpenBlock, contentBlock: Obj): number {
    this.#close(out);
    this.#index += 1;
    this.#open = block;
    out.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index: this.#index, content_block: contentBlock },
    });
    if (!this.#pinged) {
      // Anthropic sends one ping after the first block opens.
      this.#pinged = true;
      out.push({ event: 'ping', data: { type: 'ping' } });
    }
    return this.#index;
  }

  #close(out: MessagesEvent[]): void {
    if (!this.#open) return;
    this.#open = null;
    out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: this.#index } });
  }

  #text(out: MessagesEvent[], kind: 'text' | 'thinking', text: string): void {
    if (this.#open?.kind !== kind) {
      this.#openBlock(
        out,
        { kind },
        kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' },
      );
    }
    out.push({
      event: 'content_block_delta',
      data: {
        type: 'content_block_delta',
        index: this.#index,
        delta: kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text },
      },
    });
  }

  #toolCall(
    out: MessagesEvent[],
    tc: NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number],
  ): void {
    let index = this.#callBlocks.get(tc.index);
    if (index === undefined) {
      index = this.#openBlock(
        out,
        { kind: 'tool' },
        { type: 'tool_use', id: tc.id ?? '', name: tc.function.name ?? '', input: {} },
      );
      this.#callBlocks.set(tc.index, index);
    }
    // OpenAI streams one call after another, so `index` is the open block; a provider that went
    // back to an earlier call still gets its text delivered against that call's block.
    if (tc.function.arguments)
      out.push({
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: tc.function.arguments },
        },
      });
  }
}

// ---- errors ----

function errorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

function errorMessage(status: number, body: unknown): string {
  if (typeof body === 'string' && body.trim() !== '') return body;
  if (isObj(body)) {
    const e = body['error'];
    if (isObj(e) && typeof e['message'] === 'string') return e['message'];
    if (typeof e === 'string') return e;
    if (typeof body['message'] === 'string') return body['message'];
    return JSON.stringify(body);
  }
  return `upstream answered HTTP ${status}`;
}

/** Any error body (OpenAI-shaped or not) → Anthropic's error envelope. */
export function chatErrorToAnthropic(status: number, body: unknown): unknown {
  return { type: 'error', error: { type: errorType(status), message: errorMessage(status, body) } };
}
