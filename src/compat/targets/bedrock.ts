/**
 * Amazon Bedrock Converse / ConverseStream. One request shape for every model family on Bedrock;
 * the gateway signs it (SigV4) and decodes the binary event stream, so this file only maps JSON.
 */
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
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  ChatTarget,
  ChatUsage,
  ContentPart,
  FinishReason,
  NativeRequest,
  ResponseContext,
  StreamTranslator,
  ToolCall,
  ToolChoice,
} from '../types.ts';
import { CompatError, unsupported } from '../types.ts';

const PROVIDER = 'aws-bedrock';

type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

/**
 * Thinking budgets for `reasoning_effort` (Anthropic models, `reasoning_config`). 1024 is the
 * smallest budget Claude accepts; each step up roughly quadruples the room to think.
 */
export const BEDROCK_REASONING_BUDGETS = { minimal: 1024, low: 2048, medium: 8192, high: 16384 } as const;

/**
 * Answer room added on top of the thinking budget when the client sets no max tokens: the budget
 * must stay below `maxTokens`, and Bedrock's per-model default is often smaller than the budget.
 */
export const BEDROCK_REASONING_ANSWER_TOKENS = 4096;

const IMAGE_FORMATS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function imageBlock(part: Extract<ContentPart, { type: 'image_url' }>): Block {
  const field = 'messages[].content[].image_url';
  const inline = parseDataUrl(part.image_url.url);
  if (!inline) throw unsupported(field, PROVIDER, 'Converse takes inline images only');
  const format = IMAGE_FORMATS[inline.mediaType.toLowerCase()];
  if (!format)
    throw unsupported(
      field,
      PROVIDER,
      `Converse takes png, jpeg, gif or webp images, not ${inline.mediaType}`,
    );
  // `detail` picks a resolution/price tier Converse has no equivalent for.
  if (part.image_url.detail !== undefined && part.image_url.detail !== 'auto')
    throw unsupported(
      'messages[].content[].image_url.detail',
      PROVIDER,
      'Converse has no image detail level',
    );
  return { image: { format, source: { bytes: inline.data } } };
}

function contentBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((p) => (p.type === 'text' ? { text: p.text } : imageBlock(p)));
}

/** A tool result that is a JSON object goes as `json`, so the model sees structure, not quoted text. */
function toolResultContent(content: string | ContentPart[]): Block[] {
  if (typeof content !== 'string') return contentBlocks(content);
  try {
    const value: unknown = JSON.parse(content);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return [{ json: value }];
  } catch {
    // not JSON: sent as text below
  }
  return [{ text: content }];
}

function assistantBlocks(m: Extract<ChatMessage, { role: 'assistant' }>): Block[] {
  if (Array.isArray(m.content) && m.content.some((p) => p.type !== 'text'))
    throw unsupported('messages[].content[].image_url', PROVIDER, 'assistant turns carry text only');
  const blocks: Block[] = [];
  const text = textOf(m.content);
  // Converse rejects blank text blocks; an empty assistant text carries nothing anyway.
  if (text) blocks.push({ text });
  for (const call of m.tool_calls ?? []) {
    blocks.push({
      toolUse: {
        toolUseId: call.id,
        name: call.function.name,
        input: parseArguments(call.function.arguments, PROVIDER),
      },
    });
  }
  return blocks;
}

function translateMessages(messages: ChatMessage[]): { system: Block[]; turns: Turn[] } {
  const system: Block[] = [];
  const turns: Turn[] = [];
  // Converse requires user and assistant to alternate, so same-role neighbours share one turn.
  const push = (role: Turn['role'], content: Block[]): void => {
    const last = turns.at(-1);
    if (last && last.role === role) last.content.push(...content);
    else turns.push({ role, content });
  };
  for (const m of messages) {
    if ('name' in m && m.name !== undefined)
      throw unsupported('messages[].name', PROVIDER, 'Converse messages carry no participant name');
    switch (m.role) {
      case 'system':
      case 'developer': {
        if (Array.isArray(m.content) && m.content.some((p) => p.type !== 'text'))
          throw unsupported('messages[].content[].image_url', PROVIDER, 'system prompts are text only');
        system.push({ text: textOf(m.content) ?? '' });
        break;
      }
      case 'user':
        push('user', contentBlocks(m.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m));
        break;
      case 'tool':
        push('user', [{ toolResult: { toolUseId: m.tool_call_id, content: toolResultContent(m.content) } }]);
        break;
    }
  }
  return { system, turns };
}

function toolChoice(choice: ToolChoice | undefined): Block | undefined {
  if (choice === undefined || choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (choice === 'none')
    throw unsupported(
      'tool_choice',
      PROVIDER,
      'Converse has no "none" tool choice; leave out `tools` to keep the model from calling them',
    );
  return { tool: { name: choice.function.name } };
}

function toolConfig(req: ChatRequest): Block | undefined {
  if (!req.tools || req.tools.length === 0) {
    if (req.tool_choice === undefined || req.tool_choice === 'none' || req.tool_choice === 'auto')
      return undefined;
    throw new CompatError('"tool_choice" names a tool to call but the request has no "tools"');
  }
  const tools = req.tools.map((t) => ({
    toolSpec: {
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      // Converse requires a schema; OpenAI's "no parameters" is an object with none.
      inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
      ...(typeof t.function.strict === 'boolean' ? { strict: t.function.strict } : {}),
    },
  }));
  return { tools, toolChoice: toolChoice(req.tool_choice) };
}

function outputConfig(req: ChatRequest): Block | undefined {
  const format = req.response_format;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object')
    throw unsupported(
      'response_format',
      PROVIDER,
      'Converse has no schema-less JSON mode; send a json_schema response_format instead',
    );
  const { name, description, schema } = format.json_schema;
  if (!schema)
    throw unsupported('response_format.json_schema', PROVIDER, 'Converse structured output needs a schema');
  return {
    textFormat: {
      type: 'json_schema',
      // Converse takes the schema as JSON text, not as an object.
      structure: {
        jsonSchema: {
          schema: JSON.stringify(schema),
          name,
          ...(description !== undefined ? { description } : {}),
        },
      },
    },
  };
}

function rejectUnsupported(req: ChatRequest): void {
  if (req.n !== undefined && req.n > 1)
    throw unsupported('n', PROVIDER, 'Converse returns one choice per request');
  if (req.seed !== undefined) throw unsupported('seed', PROVIDER, 'Converse has no sampling seed');
  // A zero penalty is the OpenAI default and changes nothing, so only a real penalty is refused.
  if (req.presence_penalty !== undefined && req.presence_penalty !== 0)
    throw unsupported('presence_penalty', PROVIDER, 'Converse has no repetition penalties');
  if (req.frequency_penalty !== undefined && req.frequency_penalty !== 0)
    throw unsupported('frequency_penalty', PROVIDER, 'Converse has no repetition penalties');
  if (req.user !== undefined) throw unsupported('user', PROVIDER, 'Converse has no end-user field');
  if (req.parallel_tool_calls === false)
    throw unsupported('parallel_tool_calls', PROVIDER, 'Converse cannot limit the model to one tool call');
}

function request(req: ChatRequest): NativeRequest {
  rejectUnsupported(req);
  const { system, turns } = translateMessages(req.messages);
  const body: Record<string, unknown> = { messages: turns };
  if (system.length > 0) body['system'] = system;

  const inference: Record<string, unknown> = {};
  let maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (req.reasoning_effort !== undefined) {
    const budget = BEDROCK_REASONING_BUDGETS[req.reasoning_effort];
    if (maxTokens === undefined) maxTokens = budget + BEDROCK_REASONING_ANSWER_TOKENS;
    else if (maxTokens <= budget)
      throw new CompatError(
        `reasoning_effort "${req.reasoning_effort}" thinks with up to ${budget} tokens on ${PROVIDER}; max_tokens must be larger than that`,
      );
    body['additionalModelRequestFields'] = { reasoning_config: { type: 'enabled', budget_tokens: budget } };
  }
  if (maxTokens !== undefined) inference['maxTokens'] = maxTokens;
  if (req.temperature !== undefined) inference['temperature'] = req.temperature;
  if (req.top_p !== undefined) inference['topP'] = req.top_p;
  if (req.stop !== undefined)
    inference['stopSequences'] = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (Object.keys(inference).length > 0) body['inferenceConfig'] = inference;

  const tools = toolConfig(req);
  if (tools) body['toolConfig'] = tools;
  const output = outputConfig(req);
  if (output) body['outputConfig'] = output;

  const model = encodeURIComponent(req.model);
  return { path: `model/${model}/${req.stream ? 'converse-stream' : 'converse'}`, body };
}

// ---- answers ----

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  // OpenAI has no "failed" finish; the (partial) output is all there is.
  malformed_model_output: 'stop',
  malformed_tool_use: 'stop',
};

export function bedrockFinishReason(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' ? FINISH[stopReason] : undefined) ?? 'stop';
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Converse's `inputTokens` leaves out cache reads and writes; OpenAI's prompt_tokens counts them. */
export function bedrockUsage(value: unknown): ChatUsage | undefined {
  const u = obj(value);
  if (!u) return undefined;
  const read = num(u['cacheReadInputTokens']);
  const write = num(u['cacheWriteInputTokens']);
  return chatUsage(
    (num(u['inputTokens']) ?? 0) + (read ?? 0) + (write ?? 0),
    num(u['outputTokens']) ?? 0,
    read,
  );
}

function response(body: unknown, ctx: ResponseContext): ChatCompletion {
  const b = obj(body) ?? {};
  const message = obj(obj(b['output'])?.['message']);
  const blocks = Array.isArray(message?.['content']) ? (message['content'] as unknown[]) : [];
  const texts: string[] = [];
  const thoughts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const raw of blocks) {
    const block = obj(raw);
    if (!block) continue;
    const text = str(block['text']);
    if (text !== undefined) texts.push(text);
    const thought = str(obj(obj(block['reasoningContent'])?.['reasoningText'])?.['text']);
    if (thought !== undefined) thoughts.push(thought);
    const use = obj(block['toolUse']);
    if (use)
      toolCalls.push({
        id: str(use['toolUseId']) ?? '',
        type: 'function',
        function: { name: str(use['name']) ?? '', arguments: JSON.stringify(use['input'] ?? {}) },
      });
  }
  return completion(
    ctx,
    {
      content: texts.length > 0 ? texts.join('') : null,
      toolCalls,
      reasoning: thoughts.length > 0 ? thoughts.join('') : undefined,
    },
    bedrockFinishReason(b['stopReason']),
    bedrockUsage(b['usage']),
  );
}

function stream(ctx: ResponseContext): StreamTranslator {
  // Content-block index → OpenAI tool-call index (tool calls count from 0, other blocks skipped).
  const toolIndex = new Map<number, number>();
  let usage: ChatUsage | undefined;
  return {
    event(name: string, data: string): ChatCompletionChunk[] {
      const e = eventJson(data);
      if (!e) return [];
      switch (name) {
        case 'messageStart':
          return [chunk(ctx, { role: 'assistant', content: '' })];
        case 'contentBlockStart': {
          const use = obj(obj(e['start'])?.['toolUse']);
          const block = num(e['contentBlockIndex']);
          if (!use || block === undefined) return [];
          const index = toolIndex.size;
          toolIndex.set(block, index);
          const call = {
            index,
            id: str(use['toolUseId']) ?? '',
            type: 'function' as const,
            function: { name: str(use['name']) ?? '', arguments: '' },
          };
          return [chunk(ctx, { tool_calls: [call] })];
        }
        case 'contentBlockDelta': {
          const delta = obj(e['delta']);
          if (!delta) return [];
          const text = str(delta['text']);
          if (text !== undefined) return [chunk(ctx, { content: text })];
          const thought = str(obj(delta['reasoningContent'])?.['text']);
          if (thought !== undefined) return [chunk(ctx, { reasoning_content: thought })];
          const input = str(obj(delta['toolUse'])?.['input']);
          const index = toolIndex.get(num(e['contentBlockIndex']) ?? -1);
          if (input !== undefined && index !== undefined)
            return [chunk(ctx, { tool_calls: [{ index, function: { arguments: input } }] })];
          return [];
        }
        case 'messageStop':
          return [chunk(ctx, {}, bedrockFinishReason(e['stopReason']))];
        case 'metadata':
          usage = bedrockUsage(e['usage']) ?? usage;
          return [];
        default:
          return [];
      }
    },
    end(): ChatCompletionChunk[] {
      return ctx.includeUsage && usage ? [usageChunk(ctx, usage)] : [];
    },
  };
}

export const bedrockTarget: ChatTarget = { provider: PROVIDER, request, response, stream };
