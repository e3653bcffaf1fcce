import { describe, expect, it } from 'vitest';
import { createAnthropicStreamReader } from '../../src/providers/formats/anthropic.ts';
import { readGeminiJson } from '../../src/providers/formats/gemini.ts';
import {
  createOpenAiStreamReader,
  openAiUsage,
  readOpenAiJson,
} from '../../src/providers/openai-compatible.ts';
import { createCustomProvider, getProvider, PROVIDER_SLUGS } from '../../src/providers/registry.ts';
import { errorText } from '../../src/providers/shared/values.ts';
import type { StreamReader } from '../../src/providers/types.ts';
import { replayStream } from './fixtures.ts';

function feed(reader: StreamReader, frames: Array<[string, string]>) {
  for (const [event, data] of frames) reader.onEvent(event, data);
  return reader.result();
}

describe('OpenAI usage', () => {
  it('reads embeddings usage as input only', () => {
    expect(openAiUsage({ prompt_tokens: 8, total_tokens: 8 })).toEqual({
      tokensIn: 8,
      tokensOut: null,
      cachedTokensIn: null,
      cacheWriteTokensIn: null,
      reasoningTokens: null,
    });
  });

  it("falls back to DeepSeek's prompt_cache_hit_tokens", () => {
    expect(
      openAiUsage({ prompt_tokens: 100, completion_tokens: 5, prompt_cache_hit_tokens: 64 })?.cachedTokensIn,
    ).toBe(64);
  });

  it('keeps OpenAI reasoning inside completion_tokens, adds it when the totals say it is apart', () => {
    const inside = {
      prompt_tokens: 10,
      completion_tokens: 50,
      total_tokens: 60,
      completion_tokens_details: { reasoning_tokens: 40 },
    };
    const apart = {
      prompt_tokens: 10,
      completion_tokens: 10,
      total_tokens: 60,
      completion_tokens_details: { reasoning_tokens: 40 },
    };
    expect(openAiUsage(inside)?.tokensOut).toBe(50);
    expect(openAiUsage(apart)?.tokensOut).toBe(50);
  });

  it('ignores counts of the wrong type and reports nothing for an empty object', () => {
    expect(openAiUsage({ prompt_tokens: '12', completion_tokens: -1 })).toBeNull();
    expect(openAiUsage(null)).toBeNull();
  });

  it('reads an error body', () => {
    expect(
      readOpenAiJson({
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    ).toEqual({
      model: null,
      usage: null,
      error: 'invalid_api_key: Incorrect API key provided',
    });
  });
});

describe('OpenAI stream reader', () => {
  it('does not mistake generated text about errors for an error frame', () => {
    const chunk = JSON.stringify({
      model: 'gpt-4o',
      choices: [{ delta: { content: 'an "error": {"message": "x"}' } }],
    });
    expect(feed(createOpenAiStreamReader(), [['', chunk]]).error).toBeNull();
  });

  it('takes an `event: error` frame of the Responses API', () => {
    const data = JSON.stringify({
      type: 'error',
      code: 'rate_limit_exceeded',
      message: 'Slow down',
      param: null,
      sequence_number: 1,
    });
    expect(feed(createOpenAiStreamReader(), [['error', data]]).error).toBe('rate_limit_exceeded: Slow down');
  });

  it('ignores [DONE], comments turned into empty data and broken JSON', () => {
    const facts = feed(createOpenAiStreamReader(), [
      ['', '[DONE]'],
      ['', ''],
      ['', '{"model": "gpt-4o", "usage": {"prompt_tokens": 1'],
    ]);
    expect(facts).toEqual({ model: null, usage: null, error: null });
  });

  it('keeps the first model and the last usage', () => {
    const facts = feed(createOpenAiStreamReader(), [
      ['', '{"model":"a","usage":{"prompt_tokens":1,"completion_tokens":1}}'],
      ['', '{"model":"b","usage":{"prompt_tokens":1,"completion_tokens":7}}'],
    ]);
    expect(facts.model).toBe('a');
    expect(facts.usage?.tokensOut).toBe(7);
  });
});

describe('Anthropic stream reader', () => {
  it('reads frames sent without `event:` lines by their type', () => {
    const facts = feed(createAnthropicStreamReader(), [
      [
        '',
        '{"type":"message_start","message":{"model":"claude-3-5-haiku-20241022","usage":{"input_tokens":5,"output_tokens":1}}}',
      ],
      [
        '',
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\\"type\\":\\"error\\""}}',
      ],
      ['', '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}'],
    ]);
    expect(facts).toEqual({
      model: 'claude-3-5-haiku-20241022',
      usage: {
        tokensIn: 5,
        tokensOut: 9,
        cachedTokensIn: null,
        cacheWriteTokensIn: null,
        reasoningTokens: null,
      },
      error: null,
    });
  });

  it('takes cumulative input counts from message_delta when the server sends them', () => {
    const facts = feed(createAnthropicStreamReader(), [
      [
        'message_start',
        '{"type":"message_start","message":{"model":"m","usage":{"input_tokens":5,"output_tokens":1}}}',
      ],
      [
        'message_delta',
        '{"type":"message_delta","usage":{"input_tokens":900,"cache_read_input_tokens":100,"output_tokens":30}}',
      ],
    ]);
    expect(facts.usage).toMatchObject({ tokensIn: 1000, tokensOut: 30, cachedTokensIn: 100 });
  });

  it('reports an error body sent with a 2xx', () => {
    expect(
      getProvider('anthropic')!.readJson({ type: 'error', error: { type: 'api_error', message: 'Internal' } })
        .error,
    ).toBe('api_error: Internal');
  });
});

describe('Gemini', () => {
  it('reads an error inside a streamed JSON array', () => {
    const facts = readGeminiJson([
      {
        candidates: [],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
        modelVersion: 'gemini-2.0-flash',
      },
      { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } },
    ]);
    expect(facts.error).toBe('INTERNAL: Internal error encountered.');
    expect(facts.usage?.tokensIn).toBe(3);
  });
});

describe('custom providers', () => {
  const custom = createCustomProvider('custom-local', 'http://127.0.0.1:8000/v1');

  it('read OpenAI-, Anthropic- and Gemini-shaped bodies', () => {
    expect(
      custom.readJson({ model: 'm', usage: { prompt_tokens: 1, completion_tokens: 2 } }).usage?.tokensOut,
    ).toBe(2);
    expect(
      custom.readJson({ type: 'message', model: 'c', usage: { input_tokens: 3, output_tokens: 4 } }).usage
        ?.tokensIn,
    ).toBe(3);
    expect(custom.readJson({ modelVersion: 'g', usageMetadata: { promptTokenCount: 5 } }).model).toBe('g');
  });

  it('read an Anthropic stream', () => {
    const raw =
      'event: message_start\ndata: {"type":"message_start","message":{"model":"c","usage":{"input_tokens":2,"output_tokens":1}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":6}}\n\n';
    expect(replayStream(custom, raw).usage?.tokensOut).toBe(6);
  });

  it('take a body model', () => {
    expect(custom.modelFromRequest('chat/completions', { model: 'qwen3' })).toBe('qwen3');
  });
});

describe('errorText', () => {
  it('keeps errors short', () => {
    expect(errorText('x'.repeat(10_000))?.length).toBe(300);
  });

  it('labels an error by its most telling field', () => {
    expect(errorText({ type: 'error', message: 'm' })).toBe('m');
    expect(errorText({ code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota' })).toBe(
      'RESOURCE_EXHAUSTED: Quota',
    );
    expect(errorText({})).toBe('error');
    expect(errorText(null)).toBeNull();
  });
});

describe('every adapter tolerates bodies it does not expect', () => {
  const bodies: unknown[] = [
    null,
    1,
    'x',
    [],
    [null, 2],
    {},
    { usage: 'x' },
    { result: 5 },
    { type: 'message' },
    { error: 7 },
  ];
  const frames: Array<[string, string]> = [
    ['', ''],
    ['', '[DONE]'],
    ['', 'not json "usage": { "model" "error"'],
    ['message_start', '{"type":"message_start","message":null}'],
    ['message-end', '{"delta":null}'],
    ['error', 'null'],
    ['', '{"usageMetadata":7,"modelVersion":[],"error":{}}'],
  ];

  it.each(PROVIDER_SLUGS)('%s', (slug) => {
    const adapter = getProvider(slug)!;
    for (const body of bodies) {
      const facts = adapter.readJson(body);
      expect(Object.keys(facts).sort()).toEqual(['error', 'model', 'usage']);
      expect(
        adapter.modelFromRequest('', body) === null || typeof adapter.modelFromRequest('', body) === 'string',
      ).toBe(true);
    }
    const reader = adapter.createStreamReader();
    for (const [event, data] of frames) reader.onEvent(event, data);
    expect(Object.keys(reader.result()).sort()).toEqual(['error', 'model', 'usage']);
  });
});
