import { completion } from '../../shared.ts';
import type { ChatCompletion, ResponseContext, ToolCall } from '../../types.ts';
import {
  blockedReason,
  callId,
  candidatesOf,
  finishReason,
  functionCallOf,
  record,
  usageOf,
} from './shared.ts';

export function translateResponse(body: unknown, ctx: ResponseContext, provider: string): ChatCompletion {
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
