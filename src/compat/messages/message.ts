/** `/compat/v1/messages` answer: an OpenAI `chat.completion` → Anthropic's Message. Pure. */
import type { ChatCompletion } from '../types.ts';
import { CompatError } from '../types.ts';
import { isObj, type Obj, splitInput, stopReason } from './shared.ts';

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
