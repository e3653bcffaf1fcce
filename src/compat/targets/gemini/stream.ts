import { chunk, eventJson, usageChunk } from '../../shared.ts';
import type {
  ChatCompletionChunk,
  ChatUsage,
  FinishReason,
  ResponseContext,
  StreamTranslator,
} from '../../types.ts';
import {
  blockedReason,
  callId,
  candidatesOf,
  finishReason,
  functionCallOf,
  record,
  usageOf,
} from './shared.ts';

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

export function streamTranslator(ctx: ResponseContext, provider: string): StreamTranslator {
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
