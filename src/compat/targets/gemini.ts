import {
  chatUsage,
  chunk,
  completion,
  eventJson,
  parseArguments,
  parseDataUrl,
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
} from '../types.ts';
import { CompatError, unsupported } from '../types.ts';

/**
 * Google Gemini `generateContent` / `streamGenerateContent`, shared by AI Studio and Vertex AI:
 * both speak the same body, only the path before `{model}:` differs.
 */

type GeminiProvider = 'google-ai-studio' | 'google-vertex-ai';

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/**
 * Gemini 2.5 thinks by token budget. The ranges differ by model (Pro 128–32768, Flash 0–24576,
 * Flash-Lite 512–24576), so every budget here lies inside all of them: "minimal" is the smallest
 * budget Flash-Lite accepts rather than 0, which Pro rejects; "high" is Flash's ceiling.
 */
const THINKING_BUDGET = { minimal: 512, low: 1024, medium: 8192, high: 24576 } as const;

/** Gemini reads the media type of a linked file from the request, not from the server's answer. */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

// ---- request ----

function imagePart(part: Extract<ContentPart, { type: 'image_url' }>, where: string, provider: string): Part {
  const { url, detail } = part.image_url;
  // Gemini has no per-image detail; resolution is one setting for the whole request.
  if (detail !== undefined && detail !== 'auto') {
    throw unsupported(`${where}.image_url.detail`, provider, `only "auto" can be honoured, got "${detail}"`);
  }
  const data = parseDataUrl(url);
  if (data) return { inlineData: { mimeType: data.mediaType, data: data.data } };
  if (!/^https?:\/\//i.test(url)) {
    throw new CompatError(`${where}.image_url.url must be a data: URL or an http(s) URL for ${provider}`);
  }
  const path = url.replace(/[?#].*$/s, '');
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const mimeType = ext ? IMAGE_TYPES[ext] : undefined;
  if (!mimeType) {
    throw unsupported(
      `${where}.image_url.url`,
      provider,
      'a linked image needs a known extension (png, jpg, jpeg, webp, gif, heic, heif) to name its type; send it as a data: URL instead',
    );
  }
  return { fileData: { mimeType, fileUri: url } };
}

function userParts(content: string | ContentPart[], where: string, provider: string): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, j) =>
    part.type === 'text' ? { text: part.text } : imagePart(part, `${where}.content[${j}]`, provider),
  );
}

/** Text only: system, assistant and tool content have no place for images in Gemini's turns. */
function textParts(
  content: string | ContentPart[] | null | undefined,
  where: string,
  provider: string,
): Part[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((part, j) => {
    if (part.type !== 'text') throw unsupported(`${where}.content[${j}].image_url`, provider);
    return { text: part.text };
  });
}

function functionResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // plain text result, wrapped below
  }
  return { content: text };
}

function translateMessages(
  messages: ChatMessage[],
  provider: string,
): { system: Part[]; contents: Content[] } {
  const system: Part[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if ('name' in m && m.name !== undefined) {
      throw unsupported(`${where}.name`, provider, 'Gemini turns have no participant names');
    }
    switch (m.role) {
      case 'system':
      case 'developer':
        // Gemini has one system instruction for the whole request, so every system turn joins it.
        system.push(...textParts(m.content, where, provider));
        return;
      case 'user':
        contents.push({ role: 'user', parts: userParts(m.content, where, provider) });
        return;
      case 'assistant': {
        const parts = textParts(m.content, where, provider);
        for (const call of m.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          parts.push({
            functionCall: {
              name: call.function.name,
              args: parseArguments(call.function.arguments, provider),
            },
          });
        }
        // An assistant turn with neither text nor calls says nothing, and Gemini rejects empty turns.
        if (parts.length > 0) contents.push({ role: 'model', parts });
        return;
      }
      case 'tool': {
        const name = toolNames.get(m.tool_call_id);
        if (name === undefined) {
          throw new CompatError(
            `${where}.tool_call_id "${m.tool_call_id}" matches no earlier assistant tool call; ${provider} needs the function's name`,
          );
        }
        const text = textParts(m.content, where, provider)
          .map((p) => p['text'] as string)
          .join('');
        const part = { functionResponse: { name, response: functionResponse(text) } };
        const last = contents.at(-1);
        // Gemini wants all answers to one model turn's calls together in the next user turn.
        if (last?.role === 'user' && last.parts.every((p) => 'functionResponse' in p)) last.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        return;
      }
    }
  });
  return { system, contents };
}

function toolConfig(req: ChatRequest): Record<string, unknown> | undefined {
  const tools = req.tools ?? [];
  const choice = req.tool_choice;
  const strict = tools.some((t) => t.function.strict === true);
  if (tools.length === 0) {
    if (choice === 'required' || typeof choice === 'object') {
      throw new CompatError('tool_choice asks for a tool call, but the request declares no tools');
    }
    return undefined;
  }
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object') {
    const name = choice.function.name;
    if (!tools.some((t) => t.function.name === name)) {
      throw new CompatError(`tool_choice names "${name}", which is not among the request's tools`);
    }
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  }
  // VALIDATED is AUTO with calls constrained to their declared schema: what `strict` promises.
  if (strict) return { functionCallingConfig: { mode: 'VALIDATED' } };
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  return undefined;
}

function generationConfig(req: ChatRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (req.temperature !== undefined) config['temperature'] = req.temperature;
  if (req.top_p !== undefined) config['topP'] = req.top_p;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens !== undefined) config['maxOutputTokens'] = maxTokens;
  if (req.stop !== undefined) config['stopSequences'] = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.n !== undefined) config['candidateCount'] = req.n;
  if (req.seed !== undefined) config['seed'] = req.seed;
  if (req.presence_penalty !== undefined) config['presencePenalty'] = req.presence_penalty;
  if (req.frequency_penalty !== undefined) config['frequencyPenalty'] = req.frequency_penalty;
  const format = req.response_format;
  if (format?.type === 'json_object') config['responseMimeType'] = 'application/json';
  if (format?.type === 'json_schema') {
    config['responseMimeType'] = 'application/json';
    const { schema, description } = format.json_schema;
    // responseJsonSchema takes JSON Schema as OpenAI clients write it (responseSchema is an OpenAPI subset).
    if (schema) {
      config['responseJsonSchema'] =
        description !== undefined && schema['description'] === undefined
          ? { ...schema, description }
          : schema;
    }
  }
  if (req.reasoning_effort !== undefined) {
    // Thought summaries are what reasoning_content carries back.
    config['thinkingConfig'] = {
      thinkingBudget: THINKING_BUDGET[req.reasoning_effort],
      includeThoughts: true,
    };
  }
  return config;
}

function buildRequest(req: ChatRequest, provider: GeminiProvider, pathPrefix: string): NativeRequest {
  if (req.parallel_tool_calls === false) {
    throw unsupported('parallel_tool_calls', provider, 'Gemini cannot be limited to one call per turn');
  }
  if (req.user !== undefined) throw unsupported('user', provider);
  const { system, contents } = translateMessages(req.messages, provider);
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body['systemInstruction'] = { parts: system };
  if (req.tools && req.tools.length > 0) {
    body['tools'] = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description !== undefined ? { description: t.function.description } : {}),
          // parametersJsonSchema takes JSON Schema as is; `parameters` is an OpenAPI subset that
          // rejects common OpenAI schema keywords.
          ...(t.function.parameters !== undefined ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
  }
  const tc = toolConfig(req);
  if (tc) body['toolConfig'] = tc;
  const config = generationConfig(req);
  if (Object.keys(config).length > 0) body['generationConfig'] = config;
  const model = encodeURIComponent(req.model);
  const path = req.stream
    ? `${pathPrefix}${model}:streamGenerateContent?alt=sse`
    : `${pathPrefix}${model}:generateContent`;
  return { path, body };
}

// ---- response ----

interface Candidate {
  index?: number;
  content?: { parts?: Part[] };
  finishReason?: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function candidatesOf(body: Record<string, unknown>): Candidate[] {
  return Array.isArray(body['candidates']) ? (body['candidates'] as Candidate[]) : [];
}

function finishReason(reason: string, hasCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return hasCalls ? 'tool_calls' : 'stop';
}

function usageOf(body: Record<string, unknown>): ChatUsage | undefined {
  const u = record(body['usageMetadata']);
  if (!u) return undefined;
  const num = (key: string): number | undefined =>
    typeof u[key] === 'number' ? (u[key] as number) : undefined;
  // Gemini counts thinking apart from the answer; OpenAI bills both as completion tokens.
  const thoughts = num('thoughtsTokenCount');
  const prompt = (num('promptTokenCount') ?? 0) + (num('toolUsePromptTokenCount') ?? 0);
  return chatUsage(
    prompt,
    (num('candidatesTokenCount') ?? 0) + (thoughts ?? 0),
    num('cachedContentTokenCount'),
    thoughts,
  );
}

function callId(ctx: ResponseContext, choice: number, n: number): string {
  return `call_${ctx.id.replace(/^chatcmpl-/, '')}_${choice}_${n}`;
}

function functionCallOf(part: Part): { name: string; args: unknown; id?: unknown } | undefined {
  const call = record(part['functionCall']);
  return call && typeof call['name'] === 'string'
    ? { name: call['name'], args: call['args'] ?? {}, id: call['id'] }
    : undefined;
}

function blockedReason(body: Record<string, unknown>): string | undefined {
  const reason = record(body['promptFeedback'])?.['blockReason'];
  return typeof reason === 'string' ? reason : undefined;
}

function translateResponse(body: unknown, ctx: ResponseContext, provider: string): ChatCompletion {
  const json = record(body);
  if (!json) throw new Error(`${provider} answered with a body that is not a JSON object`);
  const usage = usageOf(json);
  const candidates = candidatesOf(json);
  // A blocked prompt gets no candidates at all, only promptFeedback.
  if (candidates.length === 0) {
    return completion(ctx, { content: null }, blockedReason(json) ? 'content_filter' : 'stop', usage);
  }
  const choices = candidates.map((cand, i) => {
    const index = typeof cand.index === 'number' ? cand.index : i;
    let text: string | null = null;
    let reasoning: string | undefined;
    const toolCalls: ToolCall[] = [];
    for (const part of cand.content?.parts ?? []) {
      const call = functionCallOf(part);
      if (call) {
        const id =
          typeof call.id === 'string' && call.id !== '' ? call.id : callId(ctx, index, toolCalls.length);
        toolCalls.push({
          id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.args) },
        });
      } else if (typeof part['text'] === 'string') {
        if (part['thought'] === true) reasoning = (reasoning ?? '') + part['text'];
        else text = (text ?? '') + part['text'];
      }
    }
    const reason = finishReason(cand.finishReason ?? 'STOP', toolCalls.length > 0);
    const choice = completion(ctx, { content: text, toolCalls, reasoning }, reason, undefined).choices[0]!;
    return { ...choice, index };
  });
  return { ...completion(ctx, { content: null }, 'stop', usage), choices };
}

// ---- stream ----

function choiceChunk(
  ctx: ResponseContext,
  index: number,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  reason: FinishReason | null = null,
): ChatCompletionChunk {
  const c = chunk(ctx, delta, reason);
  c.choices[0]!.index = index;
  return c;
}

function streamTranslator(ctx: ResponseContext, provider: string): StreamTranslator {
  const choices = new Map<number, { started: boolean; calls: number; finished: boolean }>();
  let usage: ChatUsage | undefined;

  const stateOf = (index: number) => {
    let state = choices.get(index);
    if (!state) {
      state = { started: false, calls: 0, finished: false };
      choices.set(index, state);
    }
    return state;
  };

  return {
    event(_name, data) {
      const json = eventJson(data);
      if (!json) return [];
      const error = record(json['error']);
      if (error) {
        throw new Error(
          `${provider} stream error: ${String(error['code'] ?? '')} ${String(error['status'] ?? '')}: ${String(error['message'] ?? '')}`,
        );
      }
      usage = usageOf(json) ?? usage;
      const out: ChatCompletionChunk[] = [];
      const candidates = candidatesOf(json);
      if (candidates.length === 0 && blockedReason(json)) {
        const state = stateOf(0);
        if (!state.finished) {
          state.finished = true;
          out.push(
            choiceChunk(ctx, 0, state.started ? {} : { role: 'assistant', content: '' }, 'content_filter'),
          );
          state.started = true;
        }
        return out;
      }
      candidates.forEach((cand, i) => {
        const index = typeof cand.index === 'number' ? cand.index : i;
        const state = stateOf(index);
        if (state.finished) return;
        const emit = (
          delta: ChatCompletionChunk['choices'][number]['delta'],
          reason: FinishReason | null = null,
        ) => {
          out.push(choiceChunk(ctx, index, state.started ? delta : { role: 'assistant', ...delta }, reason));
          state.started = true;
        };
        for (const part of cand.content?.parts ?? []) {
          const call = functionCallOf(part);
          if (call) {
            const id =
              typeof call.id === 'string' && call.id !== '' ? call.id : callId(ctx, index, state.calls);
            emit({
              tool_calls: [
                {
                  index: state.calls,
                  id,
                  type: 'function',
                  function: { name: call.name, arguments: JSON.stringify(call.args) },
                },
              ],
            });
            state.calls++;
          } else if (typeof part['text'] === 'string' && part['text'] !== '') {
            emit(part['thought'] === true ? { reasoning_content: part['text'] } : { content: part['text'] });
          }
        }
        if (cand.finishReason !== undefined) {
          emit({}, finishReason(cand.finishReason, state.calls > 0));
          state.finished = true;
        }
      });
      return out;
    },
    end() {
      return ctx.includeUsage && usage ? [usageChunk(ctx, usage)] : [];
    },
  };
}

/** The Gemini target; `pathPrefix` is what precedes `{model}:generateContent` for this provider. */
export function geminiTarget(provider: GeminiProvider, pathPrefix: string): ChatTarget {
  return {
    provider,
    request: (req) => buildRequest(req, provider, pathPrefix),
    response: (body, ctx) => translateResponse(body, ctx, provider),
    stream: (ctx) => streamTranslator(ctx, provider),
  };
}
