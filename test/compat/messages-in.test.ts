import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { describe, expect, it } from 'vitest';
import { chatErrorToAnthropic } from '../../src/compat/messages/errors.ts';
import { chatToMessage } from '../../src/compat/messages/message.ts';
import { messagesToChat } from '../../src/compat/messages/request.ts';
import { MessagesStreamWriter } from '../../src/compat/messages/stream.ts';
import type { ChatCompletion, ChatCompletionChunk } from '../../src/compat/types.ts';
import { CompatError } from '../../src/compat/types.ts';
import { sseEvents } from './sse.ts';

const DIR = join(import.meta.dirname, '../fixtures/compat/messages-in');
const text = (file: string): string => readFileSync(join(DIR, file), 'utf8');
const json = (file: string): any => JSON.parse(text(file));

/** An OpenAI SSE body → its chunks (the `[DONE]` sentinel is the caller's business). */
function openaiChunks(file: string): ChatCompletionChunk[] {
  return sseEvents(text(file))
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data) as ChatCompletionChunk);
}

/** An Anthropic SSE body → its events. */
function anthropicEvents(file: string): Array<{ event: string; data: unknown }> {
  return sseEvents(text(file)).map((e) => ({ event: e.name, data: JSON.parse(e.data) }));
}

function writeAll(file: string, model: string, id: string): Array<{ event: string; data: any }> {
  const w = new MessagesStreamWriter(model, id);
  return [...openaiChunks(file).flatMap((c) => w.chunk(c)), ...w.end()];
}

const base = { model: 'openai/gpt-4.1', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] };

describe('messagesToChat', () => {
  it('translates a full agent turn (system blocks, images, tool history, results, thinking, options)', () => {
    const { chat, model } = messagesToChat(json('request-agent.json'));
    expect(model).toBe('openai/gpt-4.1');
    expect(chat).toEqual(json('request-agent.chat.json'));
  });

  it('translates the minimal request without inventing fields', () => {
    expect(messagesToChat(base)).toEqual({
      model: 'openai/gpt-4.1',
      chat: {
        model: 'openai/gpt-4.1',
        messages: [{ role: 'user', content: 'Hi' }],
        max_completion_tokens: 256,
      },
    });
  });

  it('puts tool results before the user text of the same turn, and keeps a results-only turn as tool messages', () => {
    const { chat } = messagesToChat({
      ...base,
      system: 'Be terse.',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'w', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] },
        {
          role: 'assistant',
          content: [
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' },
            { type: 'text', text: 'Sunny.' },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '' },
      { role: 'assistant', content: 'Sunny.' },
    ]);
  });

  it('maps every tool_choice', () => {
    const tools = [{ name: 'w', input_schema: { type: 'object' } }];
    const choice = (tc: unknown) => {
      const { chat } = messagesToChat({ ...base, tools, tool_choice: tc });
      return [chat.tool_choice, chat.parallel_tool_calls];
    };
    expect(choice({ type: 'auto' })).toEqual(['auto', undefined]);
    expect(choice({ type: 'any', disable_parallel_tool_use: true })).toEqual(['required', false]);
    expect(choice({ type: 'tool', name: 'w' })).toEqual([
      { type: 'function', function: { name: 'w' } },
      undefined,
    ]);
    expect(choice({ type: 'none' })).toEqual(['none', undefined]);
  });

  it('sizes reasoning_effort from the thinking budget, and output_config.effort wins', () => {
    const effort = (extra: object) => messagesToChat({ ...base, ...extra }).chat.reasoning_effort;
    expect(effort({ thinking: { type: 'enabled', budget_tokens: 1024 } })).toBe('low');
    expect(effort({ thinking: { type: 'enabled', budget_tokens: 4096 } })).toBe('medium');
    expect(effort({ thinking: { type: 'enabled', budget_tokens: 16383 } })).toBe('medium');
    expect(effort({ thinking: { type: 'enabled', budget_tokens: 16384 } })).toBe('high');
    expect(effort({ thinking: { type: 'adaptive' } })).toBeUndefined();
    expect(effort({ thinking: { type: 'adaptive' }, output_config: { effort: 'low' } })).toBe('low');
  });

  it('maps output_config.format to a strict json_schema response_format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const { chat } = messagesToChat({ ...base, output_config: { format: { type: 'json_schema', schema } } });
    expect(chat.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema, strict: true },
    });
  });

  it.each([
    ['missing model', { max_tokens: 1, messages: base.messages }, /"model" is required/],
    ['missing max_tokens', { model: 'a/b', messages: base.messages }, /"max_tokens" is required/],
    ['missing messages', { model: 'a/b', max_tokens: 1 }, /"messages" is required/],
    ['non-object body', [], /"body" must be an object/],
    ['model not a string', { ...base, model: 7 }, /"model" must be a string/],
    ['max_tokens not an integer', { ...base, max_tokens: 1.5 }, /"max_tokens" must be an integer >= 1/],
    ['messages not an array', { ...base, messages: 'Hi' }, /"messages" must be an array/],
    ['empty messages', { ...base, messages: [] }, /"messages" must not be empty/],
    ['bad role', { ...base, messages: [{ role: 'tool', content: 'x' }] }, /"messages\[0\]\.role"/],
    ['temperature not a number', { ...base, temperature: 'hot' }, /"temperature" must be a number/],
    ['top_k', { ...base, top_k: 40 }, /"top_k" is not supported .*no top_k/],
    ['unknown field', { ...base, service_tier: 'auto' }, /"service_tier" is not supported/],
    [
      'server tool',
      { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      /"tools\[0\]\.type"/,
    ],
    [
      'document block',
      { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] },
      /"messages\[0\]\.content\[0\]\.type" is not supported/,
    ],
    [
      'file image source',
      {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }],
      },
      /"messages\[0\]\.content\[0\]\.source\.type"/,
    ],
    [
      'image in a tool result',
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't',
                content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
              },
            ],
          },
        ],
      },
      /"messages\[0\]\.content\[0\]\.content\[0\]\.type"/,
    ],
    [
      'tool_use input not an object',
      {
        ...base,
        messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'w', input: 'x' }] }],
      },
      /"messages\[0\]\.content\[0\]\.input" must be an object/,
    ],
    ['unknown metadata key', { ...base, metadata: { session: 'x' } }, /"metadata\.session"/],
    [
      'thinking display',
      { ...base, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' } },
      /"thinking\.display"/,
    ],
    ['effort beyond high', { ...base, output_config: { effort: 'max' } }, /"output_config\.effort"/],
    ['bad tool_choice', { ...base, tool_choice: { type: 'required' } }, /"tool_choice\.type"/],
  ])('rejects %s naming the field', (_name, body, message) => {
    expect(() => messagesToChat(body)).toThrow(CompatError);
    expect(() => messagesToChat(body)).toThrow(message);
  });
});

describe('chatToMessage', () => {
  it('turns reasoning, text and parallel tool calls into blocks, with cached input split out', () => {
    const c = json('completion-tools.json') as ChatCompletion;
    expect(chatToMessage(c, 'openai/gpt-4.1', 'msg_01Gatehouse0000000000001')).toEqual(
      json('completion-tools.message.json'),
    );
  });

  it('maps a length stop to max_tokens', () => {
    const c = json('completion-text.json') as ChatCompletion;
    expect(chatToMessage(c, 'openai/gpt-4.1-mini', 'msg_01Gatehouse0000000000002')).toEqual(
      json('completion-text.message.json'),
    );
  });

  it('maps content_filter to refusal, and reads a missing usage as zero', () => {
    const c = json('completion-text.json') as ChatCompletion;
    const filtered: ChatCompletion = {
      ...c,
      choices: [
        {
          ...c.choices[0]!,
          message: { role: 'assistant', content: null, refusal: null },
          finish_reason: 'content_filter',
        },
      ],
      usage: undefined,
    };
    expect(chatToMessage(filtered, 'm/x', 'msg_1')).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm/x',
      content: [],
      stop_reason: 'refusal',
      stop_sequence: null,
      usage: {
        input_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 0,
      },
    });
  });

  it('reads a tool call ending with "stop" as tool_use', () => {
    const c = json('completion-tools.json') as ChatCompletion;
    const stopped: ChatCompletion = { ...c, choices: [{ ...c.choices[0]!, finish_reason: 'stop' }] };
    expect((chatToMessage(stopped, 'a/b', 'msg_1') as { stop_reason: string }).stop_reason).toBe('tool_use');
  });
});

describe('MessagesStreamWriter', () => {
  it('streams text then two parallel tool calls as Anthropic does', () => {
    const events = writeAll('stream-tools.openai.sse', 'openai/gpt-4.1', 'msg_01Gatehouse0000000000003');
    expect(events).toEqual(anthropicEvents('stream-tools.anthropic.sse'));

    // Each call its own block: the start carries id and name, the deltas only argument text.
    const starts = events.filter(
      (e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use',
    );
    expect(starts.map((e) => [e.data.index, e.data.content_block.id, e.data.content_block.name])).toEqual([
      [1, 'call_Qw3eRt5yUi7oPa9sDf1gHj2k', 'get_weather'],
      [2, 'call_Zx8cVb6nMl4kJh2gFd0sAq9w', 'get_weather'],
    ]);
    const deltas = events.filter((e) => e.event === 'content_block_delta' && e.data.index > 0);
    for (const d of deltas) expect(Object.keys(d.data.delta)).toEqual(['type', 'partial_json']);
    const args = (i: number) =>
      JSON.parse(
        deltas
          .filter((d) => d.data.index === i)
          .map((d) => d.data.delta.partial_json)
          .join(''),
      );
    expect(args(1)).toEqual({ location: 'Paris, France' });
    expect(args(2)).toEqual({ location: 'Tokyo, Japan', unit: 'celsius' });
  });

  it('streams reasoning as a thinking block before the text block', () => {
    const events = writeAll(
      'stream-reasoning.openai.sse',
      'deepseek/deepseek-reasoner',
      'msg_01Gatehouse0000000000004',
    );
    expect(events).toEqual(anthropicEvents('stream-reasoning.anthropic.sse'));
  });

  it('accumulates in the Anthropic SDK into the same message chatToMessage would build', async () => {
    const events = writeAll('stream-tools.openai.sse', 'openai/gpt-4.1', 'msg_01Gatehouse0000000000003');
    const body = new ReadableStream({
      start(ctrl) {
        for (const e of events) ctrl.enqueue(new TextEncoder().encode(`${JSON.stringify(e.data)}\n`));
        ctrl.close();
      },
    });
    // The SDK adds its own `parsed_output` (for output_config.format); the wire message is the rest.
    const { parsed_output: _parsed, ...message } =
      await MessageStream.fromReadableStream(body).finalMessage();
    expect(JSON.parse(JSON.stringify(message))).toEqual({
      id: 'msg_01Gatehouse0000000000003',
      type: 'message',
      role: 'assistant',
      model: 'openai/gpt-4.1',
      content: [
        { type: 'text', text: 'Checking both cities.' },
        {
          type: 'tool_use',
          id: 'call_Qw3eRt5yUi7oPa9sDf1gHj2k',
          name: 'get_weather',
          input: { location: 'Paris, France' },
        },
        {
          type: 'tool_use',
          id: 'call_Zx8cVb6nMl4kJh2gFd0sAq9w',
          name: 'get_weather',
          input: { location: 'Tokyo, Japan', unit: 'celsius' },
        },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 156,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 256,
        output_tokens: 63,
      },
    });
  });

  it('closes an open block and still ends the message when upstream stops without a finish', () => {
    const w = new MessagesStreamWriter('a/b', 'msg_x');
    const first = openaiChunks('stream-tools.openai.sse').slice(0, 2);
    const events = [...first.flatMap((c) => w.chunk(c)), ...w.end()];
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[5]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: null, stop_sequence: null },
      usage: { output_tokens: 0 },
    });
    expect(w.end()).toEqual([]);
  });

  it('still opens and ends a message when no chunk arrived', () => {
    const events = new MessagesStreamWriter('a/b', 'msg_x').end();
    expect(events.map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });
});

describe('chatErrorToAnthropic', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'api_error'],
    [529, 'overloaded_error'],
  ])('maps HTTP %i to %s', (status, type) => {
    const body = {
      error: { message: 'Rate limit reached for gpt-4.1', type: 'requests', param: null, code: 'x' },
    };
    expect(chatErrorToAnthropic(status, body)).toEqual({
      type: 'error',
      error: { type, message: 'Rate limit reached for gpt-4.1' },
    });
  });

  it('keeps a message from a body that is not OpenAI-shaped', () => {
    expect(chatErrorToAnthropic(502, 'Bad Gateway')).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'Bad Gateway' },
    });
    expect(chatErrorToAnthropic(500, null)).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'upstream answered HTTP 500' },
    });
  });
});
