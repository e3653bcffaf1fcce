/** `/compat/v1/messages` stream: OpenAI chunks → Anthropic's SSE events. Pure. */
import type { ChatCompletionChunk, ChatUsage, FinishReason } from '../types.ts';
import { type Obj, splitInput, stopReason } from './shared.ts';

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
