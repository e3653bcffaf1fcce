import type { ChatRequest, NativeRequest } from '../../types.ts';
import { CompatError, unsupported } from '../../types.ts';
import { translateMessages } from './messages.ts';
import type { GeminiProvider } from './shared.ts';

/**
 * Gemini 2.5 thinks by token budget. The ranges differ by model (Pro 128–32768, Flash 0–24576,
 * Flash-Lite 512–24576), so every budget here lies inside all of them: "minimal" is the smallest
 * budget Flash-Lite accepts rather than 0, which Pro rejects; "high" is Flash's ceiling.
 */
const THINKING_BUDGET = { minimal: 512, low: 1024, medium: 8192, high: 24576 } as const;

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

export function buildRequest(req: ChatRequest, provider: GeminiProvider, pathPrefix: string): NativeRequest {
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
