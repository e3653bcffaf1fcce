import { z } from 'zod';
import { type ChatRequest, CompatError } from './types.ts';

/**
 * The OpenAI chat-completions request as `/compat` accepts it for translation. Validation is
 * strict on purpose: a field outside this list cannot be translated, and dropping it would
 * change what the caller asked for, so it is a 400 that names it.
 */

const text = z.object({ type: z.literal('text'), text: z.string() }).strict();
const image = z
  .object({
    type: z.literal('image_url'),
    image_url: z
      .object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() })
      .strict(),
  })
  .strict();
const parts = z.array(z.discriminatedUnion('type', [text, image]));
const content = z.union([z.string(), parts]);

const toolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).strict(),
  })
  .strict();

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content, name: z.string().optional() }).strict(),
  z.object({ role: z.literal('user'), content, name: z.string().optional() }).strict(),
  z
    .object({
      role: z.literal('assistant'),
      content: content.nullable().optional(),
      tool_calls: z.array(toolCall).optional(),
      name: z.string().optional(),
      refusal: z.string().nullable().optional(),
    })
    .strict(),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }).strict(),
]);

const functionTool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().min(1),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .strict(),
  })
  .strict();

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z
    .object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({
          name: z.string().min(1),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        })
        .strict(),
    })
    .strict(),
]);

const chatRequest = z
  .object({
    model: z.string(),
    messages: z.array(message).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(16)])
      .nullable()
      .optional(),
    n: z.number().int().min(1).max(128).nullable().optional(),
    seed: z.number().int().nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    tools: z.array(functionTool).optional(),
    tool_choice: z
      .union([
        z.enum(['none', 'auto', 'required']),
        z
          .object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }).strict() })
          .strict(),
      ])
      .optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: responseFormat.optional(),
    reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).nullable().optional(),
    user: z.string().optional(),
  })
  .strict();

/** Drops `null`s (OpenAI's "not set") so targets only see fields that ask for something. */
function withoutNulls<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

/** The first problem zod found, as one line: `messages[2].content: Invalid input`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? `${path}: ` : '';
    return `${where}${issue.keys.map((k) => `"${k}"`).join(', ')} cannot be translated by /compat (not a field it maps to another provider's format)`;
  }
  return `${path || 'body'}: ${issue.message}`;
}

/** A parsed JSON body → a `ChatRequest` whose `model` is still `"{provider}/{model}"`. */
export function parseChatRequest(json: unknown): ChatRequest {
  const result = chatRequest.safeParse(json);
  if (!result.success) throw new CompatError(`invalid chat request: ${describeIssue(result.error)}`);
  return withoutNulls(result.data) as ChatRequest;
}
