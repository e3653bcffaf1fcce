/**
 * `/compat/v1/messages` request: an Anthropic Messages request, checked and turned into the OpenAI
 * chat request (which every `/compat` target already speaks) that asks the same. Pure.
 */
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool, ToolCall, ToolChoice } from '../types.ts';
import { CompatError } from '../types.ts';
import { isObj, type Obj } from './shared.ts';

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
