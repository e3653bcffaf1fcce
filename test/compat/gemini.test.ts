import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiTarget } from '../../src/compat/targets/gemini/index.ts';
import type { ChatCompletionChunk, ChatRequest, ResponseContext } from '../../src/compat/types.ts';
import { CompatError } from '../../src/compat/types.ts';
import { type MockUpstream, startMockUpstream } from '../fixtures/mock-upstream.ts';
import { translateStream } from './sse.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const own = (name: string) => readFileSync(join(FIXTURES, 'compat', 'gemini', name), 'utf8');
const recorded = (name: string) =>
  readFileSync(join(FIXTURES, 'providers', 'google-ai-studio', name), 'utf8');

const studio = geminiTarget('google-ai-studio', 'v1beta/models/');
const vertex = geminiTarget(
  'google-vertex-ai',
  'v1/projects/acme-prod/locations/us-central1/publishers/google/models/',
);

const ctx: ResponseContext = {
  id: 'chatcmpl-test1',
  created: 1750000000,
  model: 'google-ai-studio/gemini-2.5-flash',
  includeUsage: false,
};
const header = { id: 'chatcmpl-test1', created: 1750000000, model: 'google-ai-studio/gemini-2.5-flash' };

const base = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-flash',
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};
const timeTool = { type: 'function' as const, function: { name: 'get_time' } };

/** Feeds a recorded SSE body to a fresh translator, event by event. */
function replay(sse: string, context: ResponseContext = ctx): ChatCompletionChunk[] {
  return translateStream(studio.stream(context), sse);
}

function concat(chunks: ChatCompletionChunk[]) {
  let content = '';
  let reasoning = '';
  const finish: Array<string | null> = [];
  for (const c of chunks) {
    for (const choice of c.choices) {
      content += choice.delta.content ?? '';
      reasoning += choice.delta.reasoning_content ?? '';
      if (choice.finish_reason) finish.push(choice.finish_reason);
    }
  }
  return { content, reasoning, finish };
}

describe('gemini request', () => {
  it('maps a full conversation with tools, images, sampling, schema and thinking', () => {
    const native = studio.request({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here and there?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            {
              type: 'image_url',
              image_url: { url: 'https://example.com/photos/paris.JPG?size=large#top', detail: 'auto' },
            },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking both.',
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp_c":18}' },
        { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '14:05' }] },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weatherTool, timeTool],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      stop: 'END',
      n: 1,
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'weather',
          description: 'A weather report',
          schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
          strict: true,
        },
      },
      reasoning_effort: 'low',
      stream_options: { include_usage: true },
    });
    expect(native).toEqual({
      path: 'v1beta/models/gemini-2.5-flash:generateContent',
      body: {
        systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in English.' }] },
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'Weather here and there?' },
              { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
              {
                fileData: {
                  mimeType: 'image/jpeg',
                  fileUri: 'https://example.com/photos/paris.JPG?size=large#top',
                },
              },
            ],
          },
          {
            role: 'model',
            parts: [
              { text: 'Checking both.' },
              { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
              { functionCall: { name: 'get_time', args: {} } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'get_weather', response: { temp_c: 18 } } },
              { functionResponse: { name: 'get_time', response: { content: '14:05' } } },
            ],
          },
          { role: 'user', parts: [{ text: 'Thanks' }] },
        ],
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Current weather for a city',
                parametersJsonSchema: weatherTool.function.parameters,
              },
              { name: 'get_time' },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
        generationConfig: {
          temperature: 0.2,
          topP: 0.9,
          maxOutputTokens: 256,
          stopSequences: ['END'],
          candidateCount: 1,
          seed: 7,
          presencePenalty: 0.1,
          frequencyPenalty: 0.2,
          responseMimeType: 'application/json',
          responseJsonSchema: {
            type: 'object',
            properties: { summary: { type: 'string' } },
            required: ['summary'],
            description: 'A weather report',
          },
          thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
        },
      },
    });
  });

  it('sends a bare request with no config, and streams to the SSE path on either provider', () => {
    expect(studio.request(base())).toEqual({
      path: 'v1beta/models/gemini-2.5-flash:generateContent',
      body: { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] },
    });
    expect(studio.request(base({ stream: true })).path).toBe(
      'v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    expect(vertex.provider).toBe('google-vertex-ai');
    expect(vertex.request(base({ stream: true })).path).toBe(
      'v1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    expect(vertex.request(base({ model: 'gemini 2.5/x' })).path).toBe(
      'v1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini%202.5%2Fx:generateContent',
    );
  });

  it('maps every tool_choice', () => {
    const config = (extra: Partial<ChatRequest>) =>
      studio.request(base({ tools: [weatherTool, timeTool], ...extra })).body['toolConfig'];
    expect(config({})).toBeUndefined();
    expect(config({ tool_choice: 'none' })).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(config({ tool_choice: 'auto' })).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(config({ tool_choice: 'required' })).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(config({ tool_choice: { type: 'function', function: { name: 'get_time' } } })).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] },
    });
    const strict = { ...weatherTool, function: { ...weatherTool.function, strict: true } };
    expect(studio.request(base({ tools: [strict] })).body['toolConfig']).toEqual({
      functionCallingConfig: { mode: 'VALIDATED' },
    });
    expect(studio.request(base({ tools: [strict], tool_choice: 'required' })).body['toolConfig']).toEqual({
      functionCallingConfig: { mode: 'ANY' },
    });
  });

  it('maps json_object, max_completion_tokens over max_tokens, stop lists and every reasoning effort', () => {
    expect(
      studio.request(
        base({
          response_format: { type: 'json_object' },
          max_tokens: 10,
          max_completion_tokens: 20,
          stop: ['a', 'b'],
        }),
      ).body['generationConfig'],
    ).toEqual({ responseMimeType: 'application/json', maxOutputTokens: 20, stopSequences: ['a', 'b'] });
    expect(
      studio.request(base({ response_format: { type: 'text' } })).body['generationConfig'],
    ).toBeUndefined();
    const budgets = (['minimal', 'low', 'medium', 'high'] as const).map(
      (effort) =>
        (
          studio.request(base({ reasoning_effort: effort })).body['generationConfig'] as Record<
            string,
            unknown
          >
        )['thinkingConfig'],
    );
    expect(budgets).toEqual([
      { thinkingBudget: 512, includeThoughts: true },
      { thinkingBudget: 1024, includeThoughts: true },
      { thinkingBudget: 8192, includeThoughts: true },
      { thinkingBudget: 24576, includeThoughts: true },
    ]);
  });

  it('answers a tool result that is JSON but not an object as text', () => {
    const body = studio.request(
      base({
        messages: [
          { role: 'user', content: 'List' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'list', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: '[1,2]' },
        ],
      }),
    ).body;
    expect(body['contents']).toEqual([
      { role: 'user', parts: [{ text: 'List' }] },
      { role: 'model', parts: [{ functionCall: { name: 'list', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'list', response: { content: '[1,2]' } } }] },
    ]);
  });

  it('refuses what Gemini cannot honour, naming the field and the provider', () => {
    const refuses = (req: ChatRequest, message: RegExp) => {
      expect(() => studio.request(req)).toThrow(CompatError);
      expect(() => studio.request(req)).toThrow(message);
    };
    refuses(
      base({ parallel_tool_calls: false }),
      /"parallel_tool_calls" is not supported by google-ai-studio/,
    );
    refuses(base({ user: 'u-1' }), /"user" is not supported by google-ai-studio/);
    refuses(
      base({ messages: [{ role: 'user', content: 'Hi', name: 'ann' }] }),
      /"messages\[0\]\.name" is not supported/,
    );
    const image = (url: string, detail?: 'low' | 'high') =>
      base({
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: detail ? { url, detail } : { url } }],
          },
        ],
      });
    refuses(
      image('https://example.com/image'),
      /"messages\[0\]\.content\[0\]\.image_url\.url" is not supported/,
    );
    refuses(image('https://example.com/a.bmp'), /known extension/);
    refuses(image('ftp://example.com/a.png'), /data: URL or an http\(s\) URL/);
    refuses(image('data:image/png;base64,AA==', 'high'), /"messages\[0\]\.content\[0\]\.image_url\.detail"/);
    refuses(
      base({
        messages: [
          {
            role: 'system',
            content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }],
          },
        ],
      }),
      /"messages\[0\]\.content\[0\]\.image_url" is not supported/,
    );
    refuses(
      base({ messages: [{ role: 'tool', tool_call_id: 'call_x', content: 'done' }] }),
      /messages\[0\]\.tool_call_id "call_x" matches no earlier assistant tool call/,
    );
    refuses(
      base({ tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } }),
      /nope/,
    );
    refuses(base({ tool_choice: 'required' }), /declares no tools/);
    refuses(
      base({
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }],
          },
        ],
      }),
      /arguments must be a JSON object/,
    );
  });
});

describe('gemini response', () => {
  it('translates the recorded text answer, thinking tokens counted as completion', () => {
    expect(studio.response(JSON.parse(recorded('generate-content.json')), ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello! How can I help you today?\n', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 2,
        completion_tokens: 29,
        total_tokens: 31,
        completion_tokens_details: { reasoning_tokens: 19 },
      },
    });
  });

  it('translates two function calls into tool_calls', () => {
    expect(studio.response(JSON.parse(own('tools.json')), ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: 'call_test1_0_0',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
              },
              {
                id: 'call_test1_0_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Tokyo","unit":"celsius"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 68,
        completion_tokens: 102,
        total_tokens: 170,
        completion_tokens_details: { reasoning_tokens: 64 },
      },
    });
  });

  it('puts thought parts in reasoning_content and reports cached tokens', () => {
    const thinking = JSON.parse(own('thinking.json'));
    expect(studio.response(thinking, ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Water boils at 100 °C (212 °F) at sea level.',
            refusal: null,
            reasoning_content: thinking.candidates[0].content.parts[0].text,
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 2310,
        completion_tokens: 230,
        total_tokens: 2540,
        prompt_tokens_details: { cached_tokens: 2048 },
        completion_tokens_details: { reasoning_tokens: 212 },
      },
    });
  });

  it('reports a blocked answer and a blocked prompt as content_filter', () => {
    const empty = (finish: 'content_filter', usage: number) => ({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: null },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage: { prompt_tokens: usage, completion_tokens: 0, total_tokens: usage },
    });
    expect(studio.response(JSON.parse(own('safety.json')), ctx)).toEqual(empty('content_filter', 17));
    expect(studio.response(JSON.parse(own('prompt-blocked.json')), ctx)).toEqual(empty('content_filter', 9));
  });

  it('maps every finish reason', () => {
    const reasons: Record<string, string> = {
      STOP: 'stop',
      MAX_TOKENS: 'length',
      SAFETY: 'content_filter',
      RECITATION: 'content_filter',
      BLOCKLIST: 'content_filter',
      PROHIBITED_CONTENT: 'content_filter',
      SPII: 'content_filter',
      IMAGE_SAFETY: 'content_filter',
      LANGUAGE: 'stop',
      OTHER: 'stop',
      MALFORMED_FUNCTION_CALL: 'stop',
      FINISH_REASON_UNSPECIFIED: 'stop',
    };
    for (const [native, expected] of Object.entries(reasons)) {
      const body = {
        candidates: [{ content: { parts: [{ text: 'x' }], role: 'model' }, finishReason: native }],
      };
      expect(studio.response(body, ctx).choices[0]!.finish_reason, native).toBe(expected);
    }
    const calls = {
      candidates: [
        { content: { parts: [{ functionCall: { name: 'f', args: {} } }] }, finishReason: 'MAX_TOKENS' },
      ],
    };
    expect(studio.response(calls, ctx).choices[0]!.finish_reason).toBe('length');
  });

  it('returns one choice per candidate, keeps an id Gemini gives, and adds tool-use prompt tokens', () => {
    const body = {
      candidates: [
        { content: { parts: [{ text: 'A' }], role: 'model' }, finishReason: 'STOP', index: 0 },
        {
          content: { parts: [{ functionCall: { id: 'fc-9', name: 'f', args: { a: 1 } } }], role: 'model' },
          finishReason: 'STOP',
          index: 1,
        },
      ],
      usageMetadata: { promptTokenCount: 5, toolUsePromptTokenCount: 3, candidatesTokenCount: 4 },
    };
    expect(studio.response(body, ctx)).toEqual({
      ...header,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'A', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
        {
          index: 1,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'fc-9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 },
    });
  });
});

describe('gemini stream', () => {
  const chunkOf = (delta: object, finish: string | null = null, usage = true) => ({
    ...header,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage: null } : {}),
  });

  it('streams two function calls, each with its id and name once, then usage', () => {
    const chunks = replay(own('tools.sse'), { ...ctx, includeUsage: true });
    expect(chunks).toEqual([
      chunkOf({
        role: 'assistant',
        tool_calls: [
          {
            index: 0,
            id: 'call_test1_0_0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
          },
        ],
      }),
      chunkOf({
        tool_calls: [
          {
            index: 1,
            id: 'call_test1_0_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Tokyo","unit":"celsius"}' },
          },
        ],
      }),
      chunkOf({}, 'tool_calls'),
      {
        ...header,
        object: 'chat.completion.chunk',
        choices: [],
        usage: {
          prompt_tokens: 68,
          completion_tokens: 102,
          total_tokens: 170,
          completion_tokens_details: { reasoning_tokens: 64 },
        },
      },
    ]);
    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    const ids = deltas.map((d) => d.id);
    expect(new Set(ids).size).toBe(2);
    expect(deltas.every((d) => d.id && d.type === 'function' && d.function.name === 'get_weather')).toBe(
      true,
    );
  });

  it('streams the recorded text answer, role first, finish last, no usage unless asked', () => {
    const chunks = replay(recorded('stream-generate-content.sse'));
    expect(chunks).toEqual([
      chunkOf({ role: 'assistant', content: 'Hello' }, null, false),
      chunkOf({ content: '! How can I help' }, null, false),
      chunkOf({ content: ' you today?\n' }, null, false),
      chunkOf({}, 'stop', false),
    ]);
    expect(replay(recorded('stream-generate-content.sse'), { ...ctx, includeUsage: true }).at(-1)).toEqual({
      ...header,
      object: 'chat.completion.chunk',
      choices: [],
      usage: {
        prompt_tokens: 2,
        completion_tokens: 29,
        total_tokens: 31,
        completion_tokens_details: { reasoning_tokens: 19 },
      },
    });
  });

  it('streams thoughts as reasoning_content and MAX_TOKENS as length', () => {
    const chunks = replay(own('thinking.sse'), { ...ctx, includeUsage: true });
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.slice(1).every((c) => c.choices.every((ch) => ch.delta.role === undefined))).toBe(true);
    expect(concat(chunks)).toEqual({
      content: 'The primes below twenty are 2, 3, 5, 7, 11',
      reasoning:
        "**Counting the primes**\n\nI'm listing the primes below twenty in order, checking each odd number for divisors.\n\n\n",
      finish: ['length'],
    });
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: 14,
      completion_tokens: 100,
      total_tokens: 114,
      completion_tokens_details: { reasoning_tokens: 87 },
    });
  });

  it('ends a blocked prompt with content_filter and throws on an error event', () => {
    const blocked = replay(`data: ${JSON.stringify(JSON.parse(own('prompt-blocked.json')))}\r\n\r\n`);
    expect(blocked).toEqual([chunkOf({ role: 'assistant', content: '' }, 'content_filter', false)]);
    const t = studio.stream(ctx);
    const [first, error] = recorded('stream-error.sse').split(/\r?\n\r?\n/);
    expect(t.event('', first!.slice(6))).toEqual([
      chunkOf({ role: 'assistant', content: 'The three laws' }, null, false),
    ]);
    expect(() => t.event('', error!.slice(6))).toThrow(/503 UNAVAILABLE: The model is overloaded/);
    expect(t.event('', 'not json')).toEqual([]);
  });
});

describe('gemini mock upstream', () => {
  let mock: MockUpstream;
  beforeAll(async () => {
    mock = await startMockUpstream();
  });
  afterAll(() => mock?.close());

  const post = (path: string, body: unknown) =>
    fetch(`${mock.url}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers function calls to a request with tools, JSON and SSE, on AI Studio and Vertex paths', async () => {
    const req = studio.request(base({ tools: [weatherTool] }));
    const json = await (await post(req.path, req.body)).json();
    expect(studio.response(json, ctx).choices[0]!.message.tool_calls).toHaveLength(2);

    const streamed = vertex.request(base({ tools: [weatherTool], stream: true }));
    const res = await post(streamed.path, streamed.body);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const chunks = replay(await res.text());
    expect(chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []))).toHaveLength(2);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');

    const plain = studio.request(base());
    const text = await (await post(plain.path, plain.body)).json();
    expect(studio.response(text, ctx).choices[0]!.message.content).toBe('Hello! How can I help you today?\n');
  });
});
