import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BEDROCK_REASONING_ANSWER_TOKENS,
  BEDROCK_REASONING_BUDGETS,
  bedrockFinishReason,
  bedrockTarget,
} from '../../src/compat/targets/bedrock.ts';
import type { ChatCompletionChunk, ChatRequest, ResponseContext } from '../../src/compat/types.ts';
import { CompatError } from '../../src/compat/types.ts';
import { EventStreamDecoder } from '../../src/providers/formats/aws-eventstream.ts';
import { bedrock as mockBedrock } from '../fixtures/mock-upstream/bedrock.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const json = (path: string): any => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
type RecordedEvent = { event: string; payload: unknown };
const toolEvents: RecordedEvent[] = json('compat/bedrock/converse-stream-tools.json');

const ctx: ResponseContext = {
  id: 'chatcmpl-bedrock1',
  created: 1_760_000_000,
  model: 'aws-bedrock/anthropic.claude-sonnet-4-20250514-v1:0',
  includeUsage: true,
};
const MODEL = 'anthropic.claude-sonnet-4-20250514-v1:0';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const TOOLS: ChatRequest['tools'] = [
  {
    type: 'function',
    function: {
      name: 'get_order_status',
      description: 'Look up an order',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      strict: true,
    },
  },
  { type: 'function', function: { name: 'ping' } },
];

function run(events: RecordedEvent[], c: ResponseContext = ctx): ChatCompletionChunk[] {
  const t = bedrockTarget.stream(c);
  return [...events.flatMap((e) => t.event(e.event, JSON.stringify(e.payload))), ...t.end()];
}

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CompatError);
    return (e as Error).message;
  }
  throw new Error('expected a CompatError');
}

describe('bedrockTarget.request', () => {
  it('maps a full tool conversation to Converse', () => {
    const req: ChatRequest = {
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a shop assistant.' },
        { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where is this order?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'auto' } },
          ],
        },
        { role: 'user', content: 'Order A-10492.' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            {
              id: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
              type: 'function',
              function: { name: 'get_order_status', arguments: '{"order_id":"A-10492"}' },
            },
            {
              id: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g',
              type: 'function',
              function: { name: 'ping', arguments: '' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A', content: '{"status":"packed"}' },
        { role: 'tool', tool_call_id: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g', content: 'pong' },
        { role: 'user', content: 'So when does it ship?' },
      ],
      tools: TOOLS,
      tool_choice: 'auto',
      max_tokens: 512,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      n: 1,
      parallel_tool_calls: true,
      presence_penalty: 0,
      response_format: { type: 'text' },
    };
    expect(bedrockTarget.request(req)).toEqual({
      path: 'model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse',
      body: {
        system: [{ text: 'You are a shop assistant.' }, { text: 'Be brief.' }],
        messages: [
          {
            role: 'user',
            content: [
              { text: 'Where is this order?' },
              { image: { format: 'png', source: { bytes: PNG } } },
              { text: 'Order A-10492.' },
            ],
          },
          {
            role: 'assistant',
            content: [
              {
                toolUse: {
                  toolUseId: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
                  name: 'get_order_status',
                  input: { order_id: 'A-10492' },
                },
              },
              { toolUse: { toolUseId: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g', name: 'ping', input: {} } },
            ],
          },
          {
            role: 'user',
            content: [
              {
                toolResult: {
                  toolUseId: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
                  content: [{ json: { status: 'packed' } }],
                },
              },
              { toolResult: { toolUseId: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g', content: [{ text: 'pong' }] } },
              { text: 'So when does it ship?' },
            ],
          },
        ],
        inferenceConfig: { maxTokens: 512, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: 'get_order_status',
                description: 'Look up an order',
                inputSchema: {
                  json: {
                    type: 'object',
                    properties: { order_id: { type: 'string' } },
                    required: ['order_id'],
                  },
                },
                strict: true,
              },
            },
            { toolSpec: { name: 'ping', inputSchema: { json: { type: 'object', properties: {} } } } },
          ],
          toolChoice: { auto: {} },
        },
      },
    });
  });

  it('streams to converse-stream and sends only what was asked', () => {
    expect(
      bedrockTarget.request({
        model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Hi' }],
        max_completion_tokens: 100,
        max_tokens: 50,
        stop: ['a', 'b'],
      }),
    ).toEqual({
      path: 'model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream',
      body: {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        inferenceConfig: { maxTokens: 100, stopSequences: ['a', 'b'] },
      },
    });
    expect(bedrockTarget.request({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })).toEqual({
      path: 'model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse',
      body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
    });
  });

  it('maps tool_choice required, a named function, and none without tools', () => {
    const base = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hi' }], tools: TOOLS };
    expect(bedrockTarget.request({ ...base, tool_choice: 'required' }).body['toolConfig']).toMatchObject({
      toolChoice: { any: {} },
    });
    expect(
      bedrockTarget.request({ ...base, tool_choice: { type: 'function', function: { name: 'ping' } } }).body[
        'toolConfig'
      ],
    ).toMatchObject({ toolChoice: { tool: { name: 'ping' } } });
    expect(
      bedrockTarget.request({ model: MODEL, messages: base.messages, tool_choice: 'none' }).body,
    ).toEqual({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
    expect(thrown(() => bedrockTarget.request({ ...base, tools: [], tool_choice: 'required' }))).toMatch(
      /tool_choice/,
    );
  });

  it('maps reasoning_effort to a reasoning_config budget below maxTokens', () => {
    const base = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hi' }] };
    expect(bedrockTarget.request({ ...base, reasoning_effort: 'medium' }).body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 8192 + BEDROCK_REASONING_ANSWER_TOKENS },
      additionalModelRequestFields: { reasoning_config: { type: 'enabled', budget_tokens: 8192 } },
    });
    expect(bedrockTarget.request({ ...base, reasoning_effort: 'high', max_tokens: 32000 }).body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 32000 },
      additionalModelRequestFields: { reasoning_config: { type: 'enabled', budget_tokens: 16384 } },
    });
    expect(BEDROCK_REASONING_BUDGETS).toEqual({ minimal: 1024, low: 2048, medium: 8192, high: 16384 });
    expect(thrown(() => bedrockTarget.request({ ...base, reasoning_effort: 'low', max_tokens: 2048 }))).toBe(
      'reasoning_effort "low" thinks with up to 2048 tokens on aws-bedrock; max_tokens must be larger than that',
    );
  });

  it('maps a json_schema response_format to outputConfig.textFormat', () => {
    const schema = { type: 'object', properties: { day: { type: 'string' } }, required: ['day'] };
    expect(
      bedrockTarget.request({
        model: MODEL,
        messages: [{ role: 'user', content: 'When?' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'ship_day', description: 'The ship day', schema, strict: true },
        },
      }).body['outputConfig'],
    ).toEqual({
      textFormat: {
        type: 'json_schema',
        structure: {
          jsonSchema: { schema: JSON.stringify(schema), name: 'ship_day', description: 'The ship day' },
        },
      },
    });
  });

  it('throws unsupported for what Converse cannot do', () => {
    const user = (content: ChatRequest['messages'][number]['content']): ChatRequest['messages'] => [
      { role: 'user', content: content as string },
    ];
    const base: ChatRequest = { model: MODEL, messages: user('Hi') };
    const cases: Array<[Partial<ChatRequest>, string]> = [
      [
        { messages: user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]) },
        '"messages[].content[].image_url" is not supported by aws-bedrock on /compat: Converse takes inline images only; remove it or send the request to /aws-bedrock/ in its native format',
      ],
      [
        { messages: user([{ type: 'image_url', image_url: { url: `data:image/bmp;base64,${PNG}` } }]) },
        'image/bmp',
      ],
      [
        {
          messages: user([
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
          ]),
        },
        '"messages[].content[].image_url.detail"',
      ],
      [{ messages: [{ role: 'user', content: 'Hi', name: 'ann' }] }, '"messages[].name"'],
      [{ n: 2 }, '"n"'],
      [{ seed: 7 }, '"seed"'],
      [{ presence_penalty: 0.5 }, '"presence_penalty"'],
      [{ frequency_penalty: 0.5 }, '"frequency_penalty"'],
      [{ user: 'u-1' }, '"user"'],
      [{ tools: TOOLS, parallel_tool_calls: false }, '"parallel_tool_calls"'],
      [{ tools: TOOLS, tool_choice: 'none' }, '"tool_choice" is not supported by aws-bedrock'],
      [
        { response_format: { type: 'json_object' } },
        '"response_format" is not supported by aws-bedrock on /compat: Converse has no schema-less JSON mode',
      ],
      [
        { response_format: { type: 'json_schema', json_schema: { name: 'x' } } },
        '"response_format.json_schema"',
      ],
    ];
    for (const [extra, message] of cases) {
      expect(thrown(() => bedrockTarget.request({ ...base, ...extra }))).toContain(message);
    }
  });
});

describe('bedrockTarget.response', () => {
  it('maps a text answer and counts cached input in prompt_tokens', () => {
    expect(bedrockTarget.response(json('providers/aws-bedrock/converse.json'), ctx)).toEqual({
      id: 'chatcmpl-bedrock1',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: 'aws-bedrock/anthropic.claude-sonnet-4-20250514-v1:0',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Your order ships Tuesday.', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 31 + 1024,
        completion_tokens: 64,
        total_tokens: 1119,
        prompt_tokens_details: { cached_tokens: 1024 },
      },
    });
  });

  it('maps toolUse blocks to tool_calls', () => {
    expect(bedrockTarget.response(json('compat/bedrock/converse-tools.json'), ctx)).toEqual({
      id: 'chatcmpl-bedrock1',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: 'aws-bedrock/anthropic.claude-sonnet-4-20250514-v1:0',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll look up the order status and the delivery forecast for you.",
            refusal: null,
            tool_calls: [
              {
                id: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
                type: 'function',
                function: { name: 'get_order_status', arguments: '{"order_id":"A-10492"}' },
              },
              {
                id: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g',
                type: 'function',
                function: { name: 'get_delivery_forecast', arguments: '{"postcode":"94107","days":3}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 512,
        completion_tokens: 118,
        total_tokens: 630,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it('maps reasoningContent, max_tokens, and cache writes', () => {
    const r = bedrockTarget.response(json('compat/bedrock/converse-reasoning.json'), ctx);
    expect(r.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Your order ships Tuesday.',
          refusal: null,
          reasoning_content:
            'The order was placed Friday; standard shipping takes two business days, so Tuesday.',
        },
        logprobs: null,
        finish_reason: 'length',
      },
    ]);
    expect(r.usage).toEqual({
      prompt_tokens: 31 + 1024 + 256,
      completion_tokens: 221,
      total_tokens: 1532,
      prompt_tokens_details: { cached_tokens: 1024 },
    });
  });

  it('maps a guardrail intervention to content_filter', () => {
    const r = bedrockTarget.response(json('compat/bedrock/converse-guardrail.json'), ctx);
    expect(r.choices[0]!.finish_reason).toBe('content_filter');
    expect(r.usage).toEqual({ prompt_tokens: 18, completion_tokens: 0, total_tokens: 18 });
  });

  it('maps every documented stopReason', () => {
    const reasons = [
      'end_turn',
      'stop_sequence',
      'max_tokens',
      'model_context_window_exceeded',
      'tool_use',
      'guardrail_intervened',
      'content_filtered',
      'malformed_model_output',
      'malformed_tool_use',
      'something_new',
    ];
    expect(reasons.map(bedrockFinishReason)).toEqual([
      'stop',
      'stop',
      'length',
      'length',
      'tool_calls',
      'content_filter',
      'content_filter',
      'stop',
      'stop',
      'stop',
    ]);
  });
});

describe('bedrockTarget.stream', () => {
  it('streams text and two tool calls with ids and names on their first delta', () => {
    const chunks = run(toolEvents);
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: ctx.id,
        object: 'chat.completion.chunk',
        created: ctx.created,
        model: ctx.model,
      });
    }
    const choices = chunks.flatMap((c) => c.choices);
    expect(choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(choices.map((c) => c.delta.content ?? '').join('')).toBe(
      "I'll look up the order status and the delivery forecast for you.",
    );

    const deltas = choices.flatMap((c) => c.delta.tool_calls ?? []);
    expect(deltas.filter((d) => d.id !== undefined)).toEqual([
      {
        index: 0,
        id: 'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
        type: 'function',
        function: { name: 'get_order_status', arguments: '' },
      },
      {
        index: 1,
        id: 'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g',
        type: 'function',
        function: { name: 'get_delivery_forecast', arguments: '' },
      },
    ]);
    for (const index of [0, 1]) {
      const mine = deltas.filter((d) => d.index === index);
      expect(mine[0]!.id).toBeDefined();
      for (const later of mine.slice(1)) expect(Object.keys(later).sort()).toEqual(['function', 'index']);
      for (const later of mine.slice(1)) expect(Object.keys(later.function)).toEqual(['arguments']);
    }
    const args = (i: number) =>
      deltas
        .filter((d) => d.index === i)
        .map((d) => d.function.arguments)
        .join('');
    expect(JSON.parse(args(0))).toEqual({ order_id: 'A-10492' });
    expect(JSON.parse(args(1))).toEqual({ postcode: '94107', days: 3 });

    expect(choices.filter((c) => c.finish_reason !== null)).toEqual([
      { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' },
    ]);
    expect(chunks.at(-1)).toEqual({
      id: ctx.id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      choices: [],
      usage: {
        prompt_tokens: 512,
        completion_tokens: 118,
        total_tokens: 630,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams reasoning and leaves out usage unless asked', () => {
    const chunks = run(json('compat/bedrock/converse-stream-reasoning.json'), {
      ...ctx,
      includeUsage: false,
    });
    expect(chunks.map((c) => c.choices[0]!.delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'The order was placed Friday; ' },
      { reasoning_content: 'standard shipping takes two business days, so Tuesday.' },
      { content: 'Your order ' },
      { content: 'ships Tuesday.' },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('reports cached input in the usage chunk', () => {
    const chunks = run(json('compat/bedrock/converse-stream-reasoning.json'));
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: 31 + 1024,
      completion_tokens: 96,
      total_tokens: 1151,
      prompt_tokens_details: { cached_tokens: 1024 },
    });
  });
});

describe('mock upstream Bedrock with toolConfig', () => {
  const route = (path: string, body: Record<string, unknown>) =>
    mockBedrock.route({ method: 'POST', path, query: new URLSearchParams(), json: body })!;
  const native = bedrockTarget.request({
    model: MODEL,
    messages: [{ role: 'user', content: 'Where is A-10492?' }],
    tools: TOOLS,
  });

  it('answers the tools fixture for converse', () => {
    const answer = route(`/${native.path}`, native.body);
    const r = bedrockTarget.response(JSON.parse(String(answer.body)), ctx);
    expect(r.choices[0]!.message.tool_calls?.map((c) => c.id)).toEqual([
      'tooluse_3XcFJm0dTnu6bVm5Qy8h1A',
      'tooluse_Kq7ZrPp2SxWnE0aLd4Vt9g',
    ]);
    const plain = route(`/${native.path}`, { messages: native.body['messages'] });
    expect(bedrockTarget.response(JSON.parse(String(plain.body)), ctx).choices[0]!.message.content).toBe(
      'Your order ships Tuesday.',
    );
  });

  it('answers the tools event stream for converse-stream', () => {
    const answer = route(`/${native.path}-stream`, native.body);
    const messages = new EventStreamDecoder().push(Buffer.concat(answer.frames as Buffer[]));
    const t = bedrockTarget.stream(ctx);
    const chunks = messages.flatMap((m) => t.event(m.headers[':event-type'] as string, m.payload.toString()));
    expect(chunks).toEqual(run(toolEvents).slice(0, -1));
    const plain = route(`/${native.path}-stream`, {});
    expect(new EventStreamDecoder().push(Buffer.concat(plain.frames as Buffer[]))).toHaveLength(7);
  });
});
