import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cohereFinishReason, cohereTarget, cohereUsage } from '../../src/compat/targets/cohere.ts';
import type { ChatCompletionChunk, ChatRequest, ResponseContext } from '../../src/compat/types.ts';
import { CompatError } from '../../src/compat/types.ts';
import { cohere as cohereUpstream } from '../fixtures/mock-upstream/cohere.ts';
import { translateStream } from './sse.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const read = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');
const json = (path: string): unknown => JSON.parse(read(path));

const ctx = (includeUsage = false): ResponseContext => ({
  id: 'chatcmpl-test',
  created: 1_700_000_000,
  model: 'cohere/command-a-03-2025',
  includeUsage,
});

function run(path: string, c: ResponseContext): ChatCompletionChunk[] {
  return translateStream(cohereTarget.stream(c), read(path));
}

/** Stream chunks folded back into one message, the way an OpenAI client accumulates them. */
function fold(chunks: ChatCompletionChunk[]) {
  let content = '';
  let reasoning = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  const finish: Array<string | null> = [];
  for (const c of chunks) {
    for (const choice of c.choices) {
      content += choice.delta.content ?? '';
      reasoning += choice.delta.reasoning_content ?? '';
      for (const d of choice.delta.tool_calls ?? []) {
        if (d.id !== undefined) calls[d.index] = { id: d.id, name: d.function.name ?? '', arguments: '' };
        calls[d.index]!.arguments += d.function.arguments;
      }
      if (choice.finish_reason) finish.push(choice.finish_reason);
    }
  }
  return { content, reasoning, calls, finish };
}

const base: ChatRequest = { model: 'command-a-03-2025', messages: [{ role: 'user', content: 'Hi' }] };

describe('cohere request', () => {
  it('translates a full conversation with tools, images, sampling and reasoning', () => {
    const req: ChatRequest = {
      model: 'command-a-reasoning-08-2025',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather where this photo was taken, and in Brasilia?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/madrid.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'get_weather_p1t92w7gfgq7',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Madrid"}' },
            },
            {
              id: 'get_weather_ay6nmvjgp9vn',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Brasilia"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'get_weather_p1t92w7gfgq7', content: '{"temperature":24}' },
        {
          role: 'tool',
          tool_call_id: 'get_weather_ay6nmvjgp9vn',
          content: [{ type: 'text', text: '{"temperature":28}' }],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Madrid 24°C, Brasilia 28°C.' }] },
        { role: 'user', content: 'Thanks. As JSON?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: {
              type: 'object',
              properties: { location: { type: 'string' } },
              required: ['location'],
            },
          },
        },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: true,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'weather',
          description: 'Temperatures by city',
          schema: { type: 'object', properties: { madrid: { type: 'number' } } },
          strict: true,
        },
      },
      temperature: 0.4,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 500,
      stop: ['END'],
      n: 1,
      seed: 7,
      presence_penalty: 0.2,
      frequency_penalty: 0.5,
      reasoning_effort: 'medium',
    };
    expect(cohereTarget.request(req)).toEqual({
      path: 'v2/chat',
      body: {
        model: 'command-a-reasoning-08-2025',
        stream: true,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'system', content: 'Use metric units.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Weather where this photo was taken, and in Brasilia?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
              { type: 'image_url', image_url: { url: 'https://example.com/madrid.jpg' } },
            ],
          },
          {
            role: 'assistant',
            tool_calls: [
              {
                id: 'get_weather_p1t92w7gfgq7',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Madrid"}' },
              },
              {
                id: 'get_weather_ay6nmvjgp9vn',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Brasilia"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'get_weather_p1t92w7gfgq7', content: '{"temperature":24}' },
          { role: 'tool', tool_call_id: 'get_weather_ay6nmvjgp9vn', content: '{"temperature":28}' },
          { role: 'assistant', content: 'Madrid 24°C, Brasilia 28°C.' },
          { role: 'user', content: 'Thanks. As JSON?' },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Current weather for a city',
              parameters: {
                type: 'object',
                properties: { location: { type: 'string' } },
                required: ['location'],
              },
            },
          },
          { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
        ],
        tool_choice: 'REQUIRED',
        response_format: {
          type: 'json_object',
          json_schema: {
            type: 'object',
            properties: { madrid: { type: 'number' } },
            description: 'Temperatures by city',
          },
        },
        temperature: 0.4,
        p: 0.9,
        max_tokens: 500,
        stop_sequences: ['END'],
        seed: 7,
        presence_penalty: 0.2,
        frequency_penalty: 0.5,
        thinking: { type: 'enabled', token_budget: 8192 },
      },
    });
  });

  it('sends the minimum for a plain request, without stream', () => {
    expect(cohereTarget.request(base)).toEqual({
      path: 'v2/chat',
      body: { model: 'command-a-03-2025', messages: [{ role: 'user', content: 'Hi' }] },
    });
  });

  it('maps tool_choice, strict tools, json_object, a lone stop string and the ends of top_p', () => {
    const tool = {
      type: 'function' as const,
      function: { name: 'f', parameters: { type: 'object' }, strict: true },
    };
    const body = (r: Partial<ChatRequest>) => cohereTarget.request({ ...base, ...r }).body;
    expect(body({ tools: [tool], tool_choice: 'none' })).toEqual({
      ...body({}),
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      strict_tools: true,
      tool_choice: 'NONE',
    });
    expect(body({ tools: [tool], tool_choice: 'auto' })['tool_choice']).toBeUndefined();
    expect(body({ tool_choice: 'none' })['tool_choice']).toBeUndefined();
    expect(body({ response_format: { type: 'json_object' } })['response_format']).toEqual({
      type: 'json_object',
    });
    expect(body({ response_format: { type: 'text' } })['response_format']).toBeUndefined();
    expect(
      body({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } })['response_format'],
    ).toEqual({ type: 'json_object' });
    expect(body({ stop: 'STOP', max_tokens: 64 })).toMatchObject({
      stop_sequences: ['STOP'],
      max_tokens: 64,
    });
    expect(body({ top_p: 1 })['p']).toBe(0.99);
    expect(body({ top_p: 0 })['p']).toBe(0.01);
    expect(body({ reasoning_effort: 'minimal' })['thinking']).toEqual({ type: 'enabled', token_budget: 512 });
    expect(body({ reasoning_effort: 'low' })['thinking']).toEqual({ type: 'enabled', token_budget: 2048 });
    expect(body({ reasoning_effort: 'high' })['thinking']).toEqual({ type: 'enabled', token_budget: 24576 });
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    ['n', { n: 2 }, '"n" is not supported by cohere'],
    ['user', { user: 'u-1' }, '"user" is not supported by cohere'],
    [
      'parallel_tool_calls',
      { parallel_tool_calls: false },
      '"parallel_tool_calls" is not supported by cohere',
    ],
    [
      'named tool_choice',
      { tool_choice: { type: 'function', function: { name: 'f' } } },
      '"tool_choice" is not supported by cohere on /compat: Cohere can force some tool call (REQUIRED) or none (NONE) but not a named function',
    ],
    [
      'message name',
      { messages: [{ role: 'user', content: 'Hi', name: 'ann' }] },
      '"messages[0].name" is not supported by cohere',
    ],
    [
      'image in a system message',
      {
        messages: [
          { role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        ],
      },
      '"messages[0].content" is not supported by cohere',
    ],
    [
      'image in a tool result',
      {
        messages: [
          {
            role: 'tool',
            tool_call_id: 'c1',
            content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }],
          },
        ],
      },
      '"messages[0].content" is not supported by cohere',
    ],
    [
      'negative presence_penalty',
      { presence_penalty: -0.5 },
      '"presence_penalty" is not supported by cohere',
    ],
    [
      'frequency_penalty above 1',
      { frequency_penalty: 1.5 },
      '"frequency_penalty" is not supported by cohere',
    ],
    [
      'strict on some tools only',
      {
        tools: [
          { type: 'function', function: { name: 'a', strict: true } },
          { type: 'function', function: { name: 'b' } },
        ],
      },
      '"tools[].function.strict" is not supported by cohere',
    ],
    [
      'a json_schema description without a schema',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', description: 'd' } } },
      '"response_format.json_schema.description" is not supported by cohere',
    ],
  ])('throws a CompatError for %s', (_label, extra, message) => {
    const call = () => cohereTarget.request({ ...base, ...extra });
    expect(call).toThrow(CompatError);
    expect(call).toThrow(message);
  });
});

describe('cohere response', () => {
  it('translates the recorded text answer', () => {
    expect(cohereTarget.response(json('providers/cohere/chat-v2.json'), ctx())).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'cohere/command-a-03-2025',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'LLMs are neural networks trained on large text corpora to predict the next token.',
            refusal: null,
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 71, completion_tokens: 44, total_tokens: 115 },
    });
  });

  it('translates two tool calls, ids kept, the tool plan as reasoning', () => {
    expect(cohereTarget.response(json('compat/cohere/chat-v2-tools.json'), ctx())).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'cohere/command-a-03-2025',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: 'get_weather_p1t92w7gfgq7',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Madrid"}' },
              },
              {
                id: 'get_weather_ay6nmvjgp9vn',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Brasilia"}' },
              },
            ],
            reasoning_content: 'I will look up the weather in Madrid and in Brasilia.',
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 913, completion_tokens: 83, total_tokens: 996 },
    });
  });

  it('translates thinking into reasoning_content and reports cached tokens', () => {
    expect(cohereTarget.response(json('compat/cohere/chat-v2-thinking.json'), ctx())).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'cohere/command-a-03-2025',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Each brother has 3 sisters.',
            refusal: null,
            reasoning_content: 'Alice has 2 sisters, so each brother has Alice plus 2: 3.',
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 1530,
        completion_tokens: 59,
        total_tokens: 1589,
        prompt_tokens_details: { cached_tokens: 1024 },
      },
    });
  });

  it('maps every finish reason', () => {
    expect(
      [
        'COMPLETE',
        'STOP_SEQUENCE',
        'MAX_TOKENS',
        'TOOL_CALL',
        'ERROR',
        'ERROR_TOXIC',
        'TIMEOUT',
        'ERROR_LIMIT',
        'USER_CANCEL',
        'NEW',
        undefined,
      ].map(cohereFinishReason),
    ).toEqual([
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
      'content_filter',
      'length',
      'length',
      'stop',
      'stop',
      'stop',
    ]);
  });

  it('counts tokens, falling back to billed units', () => {
    expect(cohereUsage({ billed_units: { input_tokens: 5, output_tokens: 42 } })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 42,
      total_tokens: 47,
    });
    expect(cohereUsage(undefined)).toBeUndefined();
  });
});

describe('cohere stream', () => {
  it('translates the recorded text stream chunk by chunk', () => {
    const chunk = (delta: object, finish: string | null = null) => ({
      id: 'chatcmpl-test',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'cohere/command-a-03-2025',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
    });
    expect(run('providers/cohere/chat-v2.sse', ctx(true))).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: ' there!' }),
      chunk({}, 'stop'),
      {
        id: 'chatcmpl-test',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'cohere/command-a-03-2025',
        choices: [],
        usage: { prompt_tokens: 69, completion_tokens: 11, total_tokens: 80 },
      },
    ]);
  });

  it('sends no usage chunk and no usage field unless asked', () => {
    const chunks = run('providers/cohere/chat-v2.sse', ctx(false));
    expect(chunks).toHaveLength(4);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('streams two tool calls: id and name first, then arguments only', () => {
    const chunks = run('compat/cohere/chat-v2-tools.sse', ctx(true));
    expect(fold(chunks)).toEqual({
      content: '',
      reasoning: 'I will look up the weather in Madrid and in Brasilia.',
      calls: [
        { id: 'get_weather_p1t92w7gfgq7', name: 'get_weather', arguments: '{\n    "location": "Madrid"\n}' },
        {
          id: 'get_weather_ay6nmvjgp9vn',
          name: 'get_weather',
          arguments: '{\n    "location": "Brasilia"\n}',
        },
      ],
      finish: ['tool_calls'],
    });
    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    expect(deltas.filter((d) => d.id !== undefined)).toEqual([
      {
        index: 0,
        id: 'get_weather_p1t92w7gfgq7',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
      {
        index: 1,
        id: 'get_weather_ay6nmvjgp9vn',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
    ]);
    const later = deltas.filter((d) => d.id === undefined);
    expect(later).toHaveLength(18);
    for (const d of later) expect(Object.keys(d).sort()).toEqual(['function', 'index']);
    for (const d of later) expect(Object.keys(d.function)).toEqual(['arguments']);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 913, completion_tokens: 83, total_tokens: 996 });
  });

  it('streams thinking as reasoning_content, then the answer, with cached tokens', () => {
    const chunks = run('compat/cohere/chat-v2-thinking.sse', ctx(true));
    expect(fold(chunks)).toEqual({
      content: 'Each brother has 3 sisters.',
      reasoning: 'Alice has 2 sisters, so each brother has Alice plus 2: 3.',
      calls: [],
      finish: ['stop'],
    });
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 1530,
      completion_tokens: 59,
      total_tokens: 1589,
      prompt_tokens_details: { cached_tokens: 1024 },
    });
  });

  it('matches the non-streamed translation of the same answer', () => {
    const streamed = fold(run('compat/cohere/chat-v2-thinking.sse', ctx()));
    const whole = cohereTarget.response(json('compat/cohere/chat-v2-thinking.json'), ctx()).choices[0]!;
    expect(streamed.content).toBe(whole.message.content);
    expect(streamed.reasoning).toBe(whole.message.reasoning_content);
  });

  it('separates thinking from a tool plan by a blank line, as the JSON answer does', () => {
    const t = cohereTarget.stream(ctx());
    const ev = (type: string, delta: object) => t.event(type, JSON.stringify({ type, delta }));
    const out = [
      ...ev('content-delta', { message: { content: { thinking: 'Need weather.' } } }),
      ...ev('tool-plan-delta', { message: { tool_plan: 'I will call it.' } }),
    ];
    expect(fold(out).reasoning).toBe('Need weather.\n\nI will call it.');
    const whole = cohereTarget.response(
      {
        message: { content: [{ type: 'thinking', thinking: 'Need weather.' }], tool_plan: 'I will call it.' },
        finish_reason: 'TOOL_CALL',
      },
      ctx(),
    );
    expect(whole.choices[0]!.message.reasoning_content).toBe('Need weather.\n\nI will call it.');
  });

  it('reads the event type from the data when the SSE event has no name, and skips non-JSON frames', () => {
    const t = cohereTarget.stream(ctx());
    expect(
      t.event('', '{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"x"}}}}'),
    ).toEqual([
      {
        id: 'chatcmpl-test',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'cohere/command-a-03-2025',
        choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }],
      },
    ]);
    expect(t.event('content-delta', 'not json')).toEqual([]);
    expect(t.end()).toEqual([]);
  });
});

describe('cohere mock upstream', () => {
  const route = (json: Record<string, unknown>) =>
    cohereUpstream.route({ method: 'POST', path: '/v2/chat', query: new URLSearchParams(), json });

  it('answers the recorded fixtures, and the tool-call ones when the request has tools', () => {
    expect(cohereUpstream.owns('/v2/chat')).toBe(true);
    expect(cohereUpstream.owns('/v1/chat')).toBe(false);
    expect(route({ model: 'm' })?.body).toBe(read('providers/cohere/chat-v2.json'));
    expect(route({ model: 'm', tools: [{}] })?.body).toBe(read('compat/cohere/chat-v2-tools.json'));
    expect(route({ model: 'm', stream: true })?.frames?.join('')).toBe(read('providers/cohere/chat-v2.sse'));
    expect(route({ model: 'm', stream: true, tools: [{}] })?.frames?.join('')).toBe(
      read('compat/cohere/chat-v2-tools.sse'),
    );
  });

  it('sends errors as Cohere does: an id and a message', () => {
    expect(JSON.parse(cohereUpstream.errorBody(401))).toEqual({
      id: '8f6e2c1a-4b3d-4e5f-9a7b-0c1d2e3f4a5b',
      message: 'invalid api token',
    });
  });
});
