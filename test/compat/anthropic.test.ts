import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anthropicTarget, DEFAULT_MAX_TOKENS } from '../../src/compat/targets/anthropic.ts';
import type {
  ChatCompletionChunk,
  ChatRequest,
  FunctionTool,
  ResponseContext,
} from '../../src/compat/types.ts';
import { CompatError } from '../../src/compat/types.ts';
import { sseEvents, translateStream } from './sse.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const own = (name: string) => readFileSync(join(FIXTURES, 'compat', 'anthropic', name), 'utf8');
const recorded = (name: string) => readFileSync(join(FIXTURES, 'providers', 'anthropic', name), 'utf8');
const ownJson = (name: string): unknown => JSON.parse(own(name));
const recordedJson = (name: string): unknown => JSON.parse(recorded(name));

const header = { id: 'chatcmpl-anth1', created: 1750000000, model: 'anthropic/claude-sonnet-4-5' };
const ctx: ResponseContext = { ...header, includeUsage: false };
const ctxUsage: ResponseContext = { ...header, includeUsage: true };

const base = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude-sonnet-4-5',
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});
const bodyOf = (extra: Partial<ChatRequest> = {}) => anthropicTarget.request(base(extra)).body;
const hi = [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }];

const weatherTool: FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
};
const timeTool: FunctionTool = { type: 'function', function: { name: 'get_time' } };
const weatherNative = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: weatherTool.function.parameters,
};
const timeNative = { name: 'get_time', input_schema: { type: 'object', properties: {} } };

/** Feeds an SSE body to a fresh translator, then ends it. */
function replay(sse: string, context: ResponseContext = ctx): ChatCompletionChunk[] {
  return translateStream(anthropicTarget.stream(context), sse);
}

/** What a client assembles from the chunks. */
function assemble(chunks: ChatCompletionChunk[]) {
  let content = '';
  let reasoning = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  const finish: string[] = [];
  for (const c of chunks) {
    for (const choice of c.choices) {
      content += choice.delta.content ?? '';
      reasoning += choice.delta.reasoning_content ?? '';
      for (const d of choice.delta.tool_calls ?? []) {
        if (d.id !== undefined) calls[d.index] = { id: d.id, name: d.function.name ?? '', arguments: '' };
        calls[d.index]!.arguments += d.function.arguments;
      }
      if (choice.finish_reason !== null) finish.push(choice.finish_reason);
    }
  }
  return { content, reasoning, calls, finish };
}

const chunkOf = (
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
  withUsage = false,
): ChatCompletionChunk => ({
  ...header,
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...(withUsage ? { usage: null } : {}),
});

const msg = (field: string, why?: string) =>
  `"${field}" is not supported by anthropic on /compat${why ? `: ${why}` : ''}; remove it or send the request to /anthropic/ in its native format`;

describe('anthropic request: messages', () => {
  it('sends a minimal request to v1/messages with the default max_tokens', () => {
    expect(anthropicTarget.request(base())).toEqual({
      path: 'v1/messages',
      body: { model: 'claude-sonnet-4-5', messages: hi, max_tokens: 4096 },
    });
    expect(DEFAULT_MAX_TOKENS).toBe(4096);
  });

  it('joins system and developer messages into system, in order', () => {
    expect(
      bodyOf({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hi' },
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'Answer in ' },
              { type: 'text', text: 'French.' },
            ],
          },
        ],
      }),
    ).toEqual({
      model: 'claude-sonnet-4-5',
      system: 'You are terse.\n\nAnswer in French.',
      messages: hi,
      max_tokens: 4096,
    });
  });

  it('translates a multi-turn conversation with images, tool calls and tool results', () => {
    const req = base({
      messages: [
        { role: 'system', content: 'Weather bot.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these skies, then get the weather.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/tokyo.jpg', detail: 'auto' } },
          ],
        },
        {
          role: 'assistant',
          content: "I'll check both cities.",
          tool_calls: [
            {
              id: 'toolu_01A09q90qw90lq917835lq9',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris, FR"}' },
            },
            {
              id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
              type: 'function',
              function: { name: 'get_time', arguments: '' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '18°C, cloudy' },
        {
          role: 'tool',
          tool_call_id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
          content: [{ type: 'text', text: '14:05' }],
        },
        { role: 'user', content: 'And tomorrow?' },
        { role: 'assistant', content: null },
        { role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }] },
      ],
    });
    expect(anthropicTarget.request(req).body).toEqual({
      model: 'claude-sonnet-4-5',
      system: 'Weather bot.',
      max_tokens: 4096,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these skies, then get the weather.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/tokyo.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: "I'll check both cities." },
            {
              type: 'tool_use',
              id: 'toolu_01A09q90qw90lq917835lq9',
              name: 'get_weather',
              input: { location: 'Paris, FR' },
            },
            { type: 'tool_use', id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_01A09q90qw90lq917835lq9',
              content: [{ type: 'text', text: '18°C, cloudy' }],
            },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
              content: [{ type: 'text', text: '14:05' }],
            },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }] },
      ],
    });
  });

  it('rejects tool-call arguments that are not a JSON object', () => {
    const req = base({
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '[1]' } }],
        },
      ],
    });
    expect(() => anthropicTarget.request(req)).toThrow(
      new CompatError(
        'tool_calls[].function.arguments must be a JSON object in text for anthropic; got "[1]"',
      ),
    );
  });

  it('rejects image URLs that are neither http(s) nor base64 data', () => {
    const req = base({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/a.png' } }] }],
    });
    expect(() => anthropicTarget.request(req)).toThrow(
      new CompatError('image_url.url must be an http(s) URL or a base64 data: URL'),
    );
  });

  it('needs at least one user or assistant turn', () => {
    expect(() => anthropicTarget.request(base({ messages: [{ role: 'system', content: 'x' }] }))).toThrow(
      new CompatError('messages needs at least one user or assistant message'),
    );
  });
});

describe('anthropic request: parameters', () => {
  it('maps temperature, top_p, user and stream', () => {
    expect(bodyOf({ temperature: 0.7, top_p: 0.9, user: 'user-42', stream: true })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 4096,
      temperature: 0.7,
      top_p: 0.9,
      metadata: { user_id: 'user-42' },
      stream: true,
    });
    expect(bodyOf({ stream: false })).toEqual({ model: 'claude-sonnet-4-5', messages: hi, max_tokens: 4096 });
    expect(bodyOf({ n: 1 })).toEqual({ model: 'claude-sonnet-4-5', messages: hi, max_tokens: 4096 });
  });

  it('sends stop as stop_sequences, string or array', () => {
    expect(bodyOf({ stop: 'END' })['stop_sequences']).toEqual(['END']);
    expect(bodyOf({ stop: ['\n\n', 'Human:'] })['stop_sequences']).toEqual(['\n\n', 'Human:']);
  });

  it('takes max_tokens, with max_completion_tokens winning over it', () => {
    expect(bodyOf({ max_tokens: 100 })['max_tokens']).toBe(100);
    expect(bodyOf({ max_completion_tokens: 200 })['max_tokens']).toBe(200);
    expect(bodyOf({ max_tokens: 100, max_completion_tokens: 200 })['max_tokens']).toBe(200);
  });

  it('turns reasoning_effort into a thinking budget above the default answer room', () => {
    const cases = [
      ['minimal', 1024],
      ['low', 2048],
      ['medium', 8192],
      ['high', 24576],
    ] as const;
    for (const [effort, budget] of cases) {
      expect(bodyOf({ reasoning_effort: effort })).toEqual({
        model: 'claude-sonnet-4-5',
        messages: hi,
        max_tokens: budget + 4096,
        thinking: { type: 'enabled', budget_tokens: budget },
      });
    }
  });

  it('fits the thinking budget below an explicit token cap', () => {
    expect(bodyOf({ reasoning_effort: 'high', max_completion_tokens: 3000 })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 3000,
      thinking: { type: 'enabled', budget_tokens: 2999 },
    });
    expect(bodyOf({ reasoning_effort: 'low', max_tokens: 16000 })['thinking']).toEqual({
      type: 'enabled',
      budget_tokens: 2048,
    });
    expect(bodyOf({ reasoning_effort: 'minimal', max_tokens: 1025 })['thinking']).toEqual({
      type: 'enabled',
      budget_tokens: 1024,
    });
    expect(() => bodyOf({ reasoning_effort: 'low', max_tokens: 1024 })).toThrow(
      new CompatError(msg('reasoning_effort with max_tokens ≤ 1024', 'the smallest thinking budget is 1024')),
    );
  });

  it('lets temperature 1 and top_p ≥ 0.95 through with reasoning_effort', () => {
    expect(bodyOf({ reasoning_effort: 'low', temperature: 1, top_p: 0.95 })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 6144,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      temperature: 1,
      top_p: 0.95,
    });
  });
});

describe('anthropic request: tools', () => {
  it('maps tools, defaulting a missing schema to an empty object', () => {
    expect(bodyOf({ tools: [weatherTool, timeTool] })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 4096,
      tools: [weatherNative, timeNative],
    });
  });

  it('maps every tool_choice, with and without parallel_tool_calls: false', () => {
    const cases: Array<[ChatRequest['tool_choice'], unknown, unknown]> = [
      [undefined, undefined, { type: 'auto', disable_parallel_tool_use: true }],
      ['auto', { type: 'auto' }, { type: 'auto', disable_parallel_tool_use: true }],
      ['none', { type: 'none' }, { type: 'none' }],
      ['required', { type: 'any' }, { type: 'any', disable_parallel_tool_use: true }],
      [
        { type: 'function', function: { name: 'get_weather' } },
        { type: 'tool', name: 'get_weather' },
        { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      ],
    ];
    for (const [choice, plain, serial] of cases) {
      const extra = { tools: [weatherTool], ...(choice !== undefined ? { tool_choice: choice } : {}) };
      expect(bodyOf(extra)['tool_choice']).toEqual(plain);
      expect(bodyOf({ ...extra, parallel_tool_calls: true })['tool_choice']).toEqual(plain);
      expect(bodyOf({ ...extra, parallel_tool_calls: false })['tool_choice']).toEqual(serial);
    }
  });

  it('leaves out tool_choice and parallel_tool_calls that mean nothing without tools', () => {
    const plain = { model: 'claude-sonnet-4-5', messages: hi, max_tokens: 4096 };
    expect(bodyOf({ tool_choice: 'auto' })).toEqual(plain);
    expect(bodyOf({ tool_choice: 'none', parallel_tool_calls: false })).toEqual(plain);
    expect(() => bodyOf({ tool_choice: 'required' })).toThrow(
      new CompatError('"tool_choice" asks for a tool call but the request has no "tools"'),
    );
  });

  it('turns response_format json_object into the forced json_response tool', () => {
    expect(bodyOf({ response_format: { type: 'json_object' } })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 4096,
      tools: [
        {
          name: 'json_response',
          description: 'Answer with a JSON object matching this schema.',
          input_schema: { type: 'object' },
        },
      ],
      tool_choice: { type: 'tool', name: 'json_response' },
    });
  });

  it('turns response_format json_schema into the forced tool with that schema', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    expect(
      bodyOf({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'city', description: 'A city and its population.', schema, strict: true },
        },
      }),
    ).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 4096,
      tools: [{ name: 'json_response', description: 'A city and its population.', input_schema: schema }],
      tool_choice: { type: 'tool', name: 'json_response' },
    });
    expect(
      bodyOf({ response_format: { type: 'json_schema', json_schema: { name: 'any' } } })['tools'],
    ).toEqual([
      {
        name: 'json_response',
        description: 'Answer with a JSON object matching this schema.',
        input_schema: { type: 'object' },
      },
    ]);
  });

  it('sends nothing for response_format text', () => {
    expect(bodyOf({ response_format: { type: 'text' } })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: hi,
      max_tokens: 4096,
    });
  });
});

describe('anthropic request: unsupported', () => {
  const cases: Array<[string, Partial<ChatRequest>, string]> = [
    ['n > 1', { n: 2 }, msg('n', 'Anthropic returns one choice')],
    ['seed', { seed: 7 }, msg('seed')],
    ['presence_penalty', { presence_penalty: 0.5 }, msg('presence_penalty')],
    ['frequency_penalty', { frequency_penalty: -0.5 }, msg('frequency_penalty')],
    ['temperature > 1', { temperature: 1.5 }, msg('temperature above 1', 'Anthropic accepts 0 to 1')],
    [
      'temperature with reasoning_effort',
      { reasoning_effort: 'low', temperature: 0.2 },
      msg('temperature with reasoning_effort', 'extended thinking runs at temperature 1'),
    ],
    [
      'top_p with reasoning_effort',
      { reasoning_effort: 'low', top_p: 0.9 },
      msg('top_p below 0.95 with reasoning_effort', 'extended thinking needs top_p ≥ 0.95'),
    ],
    [
      'response_format with reasoning_effort',
      { reasoning_effort: 'medium', response_format: { type: 'json_object' } },
      msg(
        'response_format with reasoning_effort',
        'JSON output is a forced tool call, which extended thinking does not allow',
      ),
    ],
    [
      'forced tool_choice with reasoning_effort',
      { reasoning_effort: 'medium', tools: [weatherTool], tool_choice: 'required' },
      msg('tool_choice with reasoning_effort', 'extended thinking allows only tool_choice "auto" or "none"'),
    ],
    [
      'response_format with tools',
      { tools: [weatherTool], response_format: { type: 'json_object' } },
      msg('response_format with tools'),
    ],
    [
      'image in a system message',
      {
        messages: [
          {
            role: 'system',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
          },
          { role: 'user', content: 'Hi' },
        ],
      },
      msg('messages[].content (image in a system message)'),
    ],
    [
      'image detail',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }],
          },
        ],
      },
      msg('messages[].content[].image_url.detail', 'Anthropic has no image detail level'),
    ],
    [
      'message name',
      { messages: [{ role: 'user', content: 'Hi', name: 'alice' }] },
      msg('messages[].name', 'Anthropic messages carry no participant name'),
    ],
  ];
  for (const [label, extra, message] of cases) {
    it(`throws for ${label}`, () => {
      let thrown: unknown;
      try {
        anthropicTarget.request(base(extra));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CompatError);
      expect((thrown as Error).message).toBe(message);
    });
  }
});

describe('anthropic response', () => {
  it('translates a plain answer', () => {
    expect(anthropicTarget.response(recordedJson('messages.json'), ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 12,
        total_tokens: 24,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it('translates text with two tool calls', () => {
    expect(anthropicTarget.response(ownJson('messages-tools.json'), ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll check both cities.",
            refusal: null,
            tool_calls: [
              {
                id: 'toolu_01A09q90qw90lq917835lq9',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Paris, FR","unit":"celsius"}' },
              },
              {
                id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Tokyo, JP","unit":"celsius"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 412,
        completion_tokens: 98,
        total_tokens: 510,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it('gives content null when the answer is only tool calls', () => {
    const body = ownJson('messages-tools.json') as { content: Array<{ type: string }> };
    const toolsOnly = { ...body, content: body.content.filter((b) => b.type === 'tool_use') };
    const message = anthropicTarget.response(toolsOnly, ctx).choices[0]!.message;
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(2);
  });

  it('returns the json_response tool input as the content, counting cache reads in the prompt', () => {
    const request = base({ response_format: { type: 'json_object' } });
    expect(anthropicTarget.response(ownJson('messages-json.json'), { ...ctx, request })).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '{"city":"Paris","population":2102650}', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 160,
        completion_tokens: 31,
        total_tokens: 191,
        prompt_tokens_details: { cached_tokens: 64 },
      },
    });
  });

  it('leaves a json_response tool call as a tool call when the request did not ask for JSON', () => {
    const choice = anthropicTarget.response(ownJson('messages-json.json'), ctx).choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'toolu_01JsonTool3z',
        type: 'function',
        function: { name: 'json_response', arguments: '{"city":"Paris","population":2102650}' },
      },
    ]);
  });

  it('counts cache reads and writes into prompt_tokens, reads as cached_tokens', () => {
    expect(anthropicTarget.response(recordedJson('messages-cached.json'), ctx).usage).toEqual({
      prompt_tokens: 2060,
      completion_tokens: 95,
      total_tokens: 2155,
      prompt_tokens_details: { cached_tokens: 2048 },
    });
    const written = {
      ...(recordedJson('messages.json') as object),
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 500,
        cache_read_input_tokens: 1500,
        output_tokens: 7,
      },
    };
    expect(anthropicTarget.response(written, ctx).usage).toEqual({
      prompt_tokens: 2010,
      completion_tokens: 7,
      total_tokens: 2017,
      prompt_tokens_details: { cached_tokens: 1500 },
    });
  });

  it('returns thinking as reasoning_content', () => {
    expect(anthropicTarget.response(ownJson('messages-thinking.json'), ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: '27 × 453 = 12,231',
            refusal: null,
            reasoning_content: '27 * 453: 27*400 = 10800, 27*53 = 1431, total 12231.',
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 46,
        completion_tokens: 87,
        total_tokens: 133,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });
});

describe('anthropic stream', () => {
  it('splits the SSE fixture into its events', () => {
    const events = sseEvents(recorded('messages.sse'));
    expect(events.map((e) => e.name)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(events[2]!.data)).toEqual({ type: 'ping' });
  });

  it('translates a plain answer, with no usage field on any chunk', () => {
    const chunks = replay(recorded('messages.sse'));
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }),
      chunkOf({ content: 'Hello' }),
      chunkOf({ content: '! How can I' }),
      chunkOf({ content: ' help you today?' }),
      chunkOf({}, 'stop'),
    ]);
    for (const c of chunks) expect('usage' in c).toBe(false);
  });

  it('ends with a usage chunk when include_usage is set', () => {
    const chunks = replay(recorded('messages.sse'), ctxUsage);
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }, null, true),
      chunkOf({ content: 'Hello' }, null, true),
      chunkOf({ content: '! How can I' }, null, true),
      chunkOf({ content: ' help you today?' }, null, true),
      chunkOf({}, 'stop', true),
      {
        ...header,
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: 12,
          completion_tokens: 12,
          total_tokens: 24,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it('streams thinking as reasoning_content and counts cache writes in the prompt', () => {
    const chunks = replay(recorded('messages-thinking.sse'), ctxUsage);
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }, null, true),
      chunkOf({ reasoning_content: 'The user wants 27 * 453. 27*400=10800, 27*53=1431.' }, null, true),
      chunkOf({ content: '27 × 453 = 12,231' }, null, true),
      chunkOf({}, 'stop', true),
      {
        ...header,
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: 3142,
          completion_tokens: 118,
          total_tokens: 3260,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it('streams two tool calls: id, type and name once, then arguments only', () => {
    const chunks = replay(own('messages-tools.sse'));
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }),
      chunkOf({ content: "I'll check " }),
      chunkOf({ content: 'both cities.' }),
      chunkOf({
        tool_calls: [
          {
            index: 0,
            id: 'toolu_01A09q90qw90lq917835lq9',
            type: 'function',
            function: { name: 'get_weather', arguments: '' },
          },
        ],
      }),
      chunkOf({ tool_calls: [{ index: 0, function: { arguments: '{"location": "Paris, FR"' } }] }),
      chunkOf({ tool_calls: [{ index: 0, function: { arguments: ', "unit": "celsius"}' } }] }),
      chunkOf({
        tool_calls: [
          {
            index: 1,
            id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
            type: 'function',
            function: { name: 'get_weather', arguments: '' },
          },
        ],
      }),
      chunkOf({ tool_calls: [{ index: 1, function: { arguments: '{"location": "Tokyo, JP",' } }] }),
      chunkOf({ tool_calls: [{ index: 1, function: { arguments: ' "unit": "celsius"}' } }] }),
      chunkOf({}, 'tool_calls'),
    ]);

    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    const seen = new Set<number>();
    for (const d of deltas) {
      if (!seen.has(d.index)) {
        seen.add(d.index);
        expect(Object.keys(d).sort()).toEqual(['function', 'id', 'index', 'type']);
        expect(Object.keys(d.function).sort()).toEqual(['arguments', 'name']);
      } else {
        expect(Object.keys(d).sort()).toEqual(['function', 'index']);
        expect(Object.keys(d.function)).toEqual(['arguments']);
      }
    }
    expect([...seen]).toEqual([0, 1]);

    expect(assemble(chunks)).toEqual({
      content: "I'll check both cities.",
      reasoning: '',
      calls: [
        {
          id: 'toolu_01A09q90qw90lq917835lq9',
          name: 'get_weather',
          arguments: '{"location": "Paris, FR", "unit": "celsius"}',
        },
        {
          id: 'toolu_01B8sK2cTn3p4h5J6k7L8m9',
          name: 'get_weather',
          arguments: '{"location": "Tokyo, JP", "unit": "celsius"}',
        },
      ],
      finish: ['tool_calls'],
    });
    for (const c of chunks) expect('usage' in c).toBe(false);
  });

  it('streams the json_response tool input as content, with usage repeated in message_delta', () => {
    const request = base({ response_format: { type: 'json_object' }, stream: true });
    const chunks = replay(own('messages-json.sse'), { ...ctxUsage, request });
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }, null, true),
      chunkOf({ content: '{"city": "Pa' }, null, true),
      chunkOf({ content: 'ris", "population": 2102650}' }, null, true),
      chunkOf({}, 'stop', true),
      {
        ...header,
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: 160,
          completion_tokens: 31,
          total_tokens: 191,
          prompt_tokens_details: { cached_tokens: 64 },
        },
      },
    ]);
    expect(JSON.parse(assemble(chunks).content)).toEqual({ city: 'Paris', population: 2102650 });
  });

  it('gives a tool call that streamed no input the arguments {}', () => {
    const chunks = replay(own('messages-noargs.sse'));
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: '' }),
      chunkOf({
        tool_calls: [
          {
            index: 0,
            id: 'toolu_01Time4Gq8Rr',
            type: 'function',
            function: { name: 'get_time', arguments: '' },
          },
        ],
      }),
      chunkOf({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      chunkOf({}, 'tool_calls'),
    ]);
  });

  it('passes the content before a stream error and leaves the error event to the transport', () => {
    const chunks = replay(recorded('stream-error.sse'));
    expect(assemble(chunks)).toEqual({
      content: 'Here is the "error" handling you asked for:',
      reasoning: '',
      calls: [],
      finish: [],
    });
  });

  it('skips frames that are not JSON', () => {
    const t = anthropicTarget.stream(ctx);
    expect(t.event('message_start', 'not json')).toEqual([]);
    expect(t.end()).toEqual([]);
  });
});

describe('anthropic finish reasons', () => {
  const toolStart = JSON.stringify({
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'tool_use', id: 'toolu_x', name: 'get_time', input: {} },
  });
  const table: Array<[string, string]> = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['something_new', 'stop'],
  ];
  for (const [stopReason, finish] of table) {
    it(`maps ${stopReason} to ${finish}`, () => {
      const body = { ...(ownJson('messages-tools.json') as object), stop_reason: stopReason };
      expect(anthropicTarget.response(body, ctx).choices[0]!.finish_reason).toBe(finish);

      const t = anthropicTarget.stream(ctx);
      t.event('content_block_start', toolStart);
      const out = t.event(
        'message_delta',
        JSON.stringify({
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: 5 },
        }),
      );
      expect(out).toEqual([chunkOf({}, finish as 'stop')]);
    });
  }

  it('maps tool_use to stop in a stream that carried no tool call', () => {
    const t = anthropicTarget.stream(ctx);
    expect(
      t.event(
        'message_delta',
        JSON.stringify({
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { output_tokens: 5 },
        }),
      ),
    ).toEqual([chunkOf({}, 'stop')]);
  });
});
