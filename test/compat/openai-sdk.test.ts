import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

/**
 * The `openai` SDK against `/compat`, with the mock upstream speaking each provider's native
 * format: the gateway translates the request, calls the provider, and translates the answer.
 */

let gw: TestGateway;
let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  ({ gw, mock } = await startWithMock());
  client = new OpenAI({ apiKey: 'provider-key', baseURL: `${gw.gatewayUrl()}/compat`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});
beforeEach(() => mock.reset());

interface Case {
  model: string;
  /** The native path the mock must receive. */
  path: RegExp;
  /** Where the SDK's apiKey must arrive. */
  credential: [header: string, value: string];
}

const CASES: Case[] = [
  {
    model: 'anthropic/claude-sonnet-4-5',
    path: /^\/v1\/messages$/,
    credential: ['x-api-key', 'provider-key'],
  },
  {
    model: 'google-ai-studio/gemini-2.5-flash',
    path: /^\/v1beta\/models\/gemini-2\.5-flash:(generateContent|streamGenerateContent\?alt=sse)$/,
    credential: ['x-goog-api-key', 'provider-key'],
  },
  {
    model: 'aws-bedrock/anthropic.claude-3-5-haiku-20241022-v1:0',
    path: /^\/model\/anthropic\.claude-3-5-haiku-20241022-v1%3A0\/(converse|converse-stream)$/,
    credential: ['authorization', 'Bearer provider-key'],
  },
  {
    model: 'cohere/command-a-03-2025',
    path: /^\/v2\/chat$/,
    credential: ['authorization', 'Bearer provider-key'],
  },
];

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
};

function sentBody(): Record<string, unknown> {
  return JSON.parse(mock.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
}

describe.each(CASES)('openai SDK → /compat → $model', ({ model, path, credential }) => {
  it('a plain answer: text, finish reason, usage, the asked-for model', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 200,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe(model);
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(typeof r.choices[0]?.message.content).toBe('string');
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    const sent = mock.requests[0]!;
    expect(sent.url).toMatch(path);
    expect(sent.headers[credential[0]]).toBe(credential[1]);
    // The system prompt reached the provider in its own shape.
    expect(sent.body.toString('utf8')).toContain('Be brief.');
  });

  it('a stream: text deltas, a finish chunk, and the usage chunk when asked for', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let first = true;
    for await (const c of stream) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe(model);
      if (first) expect(c.choices[0]?.delta.role).toBe('assistant');
      first = false;
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(mock.requests[0]!.url).toMatch(path);
  });

  it('tools: two parallel calls come back with ids, names and JSON arguments', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in two cities?' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const calls = r.choices[0]!.message.tool_calls!;
    expect(r.choices[0]?.finish_reason).toBe('tool_calls');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.type).toBe('function');
      if (call.type !== 'function') continue;
      expect(call.id.length).toBeGreaterThan(0);
      expect(call.function.name.length).toBeGreaterThan(0);
      expect(typeof JSON.parse(call.function.arguments)).toBe('object');
    }
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });

  it('tools, streamed: each call announced once with id and name, arguments assembled by index', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in two cities?' }],
      tools: [weatherTool],
      stream: true,
    });
    const calls = new Map<number, { id: string; name: string; args: string; announced: number }>();
    let finish: string | null = null;
    for await (const c of stream) {
      finish = c.choices[0]?.finish_reason ?? finish;
      for (const d of c.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(d.index) ?? { id: '', name: '', args: '', announced: 0 };
        if (d.id) {
          call.id = d.id;
          call.announced++;
        }
        if (d.function?.name) call.name = d.function.name;
        call.args += d.function?.arguments ?? '';
        calls.set(d.index, call);
      }
    }
    expect(finish).toBe('tool_calls');
    expect([...calls.keys()]).toEqual([0, 1]);
    for (const call of calls.values()) {
      expect(call.announced).toBe(1);
      expect(call.name.length).toBeGreaterThan(0);
      expect(typeof JSON.parse(call.args)).toBe('object');
    }
  });

  it.each([
    [400, OpenAI.BadRequestError],
    [401, OpenAI.AuthenticationError],
    [429, OpenAI.RateLimitError],
    [500, OpenAI.InternalServerError],
  ])(
    'a provider %i raises the matching openai SDK error, its message naming the provider',
    async (status, kind) => {
      const err = await client.chat.completions
        .create(
          { model, messages: [{ role: 'user', content: 'Hi' }] },
          { headers: { 'x-mock-scenario': `status=${status}` } },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(kind);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      expect((err as Error).message).toContain(model.split('/')[0]);
    },
  );

  it('an error event mid-stream makes the SDK raise instead of ending quietly', async () => {
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Hi' }], stream: true },
      { headers: { 'x-mock-scenario': 'stream-error=2' } },
    );
    await expect(
      (async () => {
        for await (const _ of stream) {
          // reading until it raises
        }
      })(),
    ).rejects.toThrow();
  });

  it('a retried attempt: the failed one never reaches the client, the next is translated', async () => {
    mock.enqueue('status=429');
    mock.enqueue('stream-error=0');
    const stream = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Hi' }], stream: true },
      { headers: { 'cf-aig-max-attempts': '3', 'cf-aig-retry-delay': '0' } },
    );
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(mock.requests).toHaveLength(3);
  });

  it('a cache hit replays the answer translated, without calling the provider', async () => {
    const ask = () =>
      client.chat.completions
        .create(
          { model, messages: [{ role: 'user', content: `cache ${model}` }] },
          { headers: { 'cf-aig-cache-ttl': '300' } },
        )
        .withResponse();
    const miss = await ask();
    const hit = await ask();
    expect(miss.response.headers.get('cf-aig-cache-status')).toBe('MISS');
    expect(hit.response.headers.get('cf-aig-cache-status')).toBe('HIT');
    expect(hit.data.choices[0]?.message.content).toBe(miss.data.choices[0]?.message.content);
    expect(hit.data.model).toBe(model);
    expect(mock.requests).toHaveLength(1);
  });
});

describe('request translation reaches each provider in its own shape', () => {
  const image = 'data:image/png;base64,iVBORw0KGgo=';

  it('images: inline data in each native shape', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: image } },
        ],
      },
    ];
    await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages });
    expect(JSON.stringify(sentBody())).toContain(
      '{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}',
    );
    mock.reset();
    await client.chat.completions.create({ model: 'google-ai-studio/gemini-2.5-flash', messages });
    expect(JSON.stringify(sentBody())).toContain(
      '{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}',
    );
    mock.reset();
    await client.chat.completions.create({ model: 'aws-bedrock/amazon.nova-lite-v1:0', messages });
    expect(JSON.stringify(sentBody())).toContain(
      '{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}',
    );
  });

  it('Bedrock: AWS credentials sent as the apiKey are signed by the gateway (SigV4), in their region', async () => {
    const creds = JSON.stringify({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      region: 'eu-west-1',
    });
    const aws = new OpenAI({ apiKey: creds, baseURL: `${gw.gatewayUrl()}/compat`, maxRetries: 0 });
    const r = await aws.chat.completions.create({
      model: 'aws-bedrock/amazon.nova-lite-v1:0',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const sent = mock.requests[0]!;
    expect(sent.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/,
    );
    expect(sent.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(JSON.stringify(sent.headers)).not.toContain('wJalrXUtnFEMI');
    // Each request is signed anew; the cache still knows the caller by its access key id.
    const ask = () =>
      aws.chat.completions
        .create(
          { model: 'aws-bedrock/amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'cache me' }] },
          { headers: { 'cf-aig-cache-ttl': '300' } },
        )
        .withResponse();
    expect((await ask()).response.headers.get('cf-aig-cache-status')).toBe('MISS');
    expect((await ask()).response.headers.get('cf-aig-cache-status')).toBe('HIT');
  });

  it('a signature the client computed stays in the cache key: a forged one for a known key id gets no HIT', async () => {
    const url = `${gw.gatewayUrl()}/aws-bedrock/bedrock-runtime/us-east-1/model/amazon.nova-lite-v1:0/converse`;
    const send = (signature: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'cf-aig-cache-ttl': '300',
          authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
        },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'secret question' }] }] }),
      });
    expect((await send('a'.repeat(64))).headers.get('cf-aig-cache-status')).toBe('MISS');
    expect((await send('b'.repeat(64))).headers.get('cf-aig-cache-status')).toBe('MISS');
    expect((await send('a'.repeat(64))).headers.get('cf-aig-cache-status')).toBe('HIT');
  });

  it('JSON mode on Anthropic: a forced tool, its input returned as the content', async () => {
    const r = await client.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Biggest city in France, as JSON' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'city',
          schema: {
            type: 'object',
            properties: { city: { type: 'string' }, population: { type: 'number' } },
          },
        },
      },
    });
    const sent = sentBody();
    expect(sent['tool_choice']).toEqual({ type: 'tool', name: 'json_response' });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ city: 'Paris', population: 2102650 });
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('JSON mode on Gemini: a response schema', async () => {
    await client.chat.completions.create({
      model: 'google-ai-studio/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect((sentBody()['generationConfig'] as Record<string, unknown>)['responseMimeType']).toBe(
      'application/json',
    );
  });

  it('a field the provider cannot honour is a 400 naming the field and the provider, and nothing is sent', async () => {
    const err = await client.chat.completions
      .create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], seed: 7 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/seed\\?" is not supported by anthropic on \/compat/);
    const unknown = await client.chat.completions
      .create({
        model: 'google-ai-studio/gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
        logprobs: true,
      })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknown as Error).message).toMatch(/logprobs\\?" cannot be translated/);
    expect(mock.requests).toHaveLength(0);
  });

  it('a multi-turn tool conversation: calls and results in the native shape', async () => {
    await client.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      tools: [weatherTool],
    });
    const messages = sentBody()['messages'];
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '{"temp":21}' }] },
        ],
      },
    ]);
  });
});

describe('compat requests are logged, costed and counted like native ones', () => {
  it('the log names the provider that served it, the model, tokens, cost and compat', async () => {
    await client.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'log me' }],
    });
    await gw.flushLogs();
    const log = (await gw.api('GET', '/gateways/default/logs?per_page=1')).json.result[0];
    expect(log.provider).toBe('anthropic');
    expect(log.model).toBe('claude-sonnet-4-5');
    expect(log.request_type).toBe('compat');
    expect(log.tokens_in).toBeGreaterThan(0);
    expect(log.cost).toBeGreaterThan(0);
  });

  it('an answer /compat cannot rewrite is a 502 the SDK raises, logged as such and never cached', async () => {
    // A provider (or a proxy in front of it) that answers 200 with a body that is not JSON.
    const ask = () =>
      client.chat.completions
        .create(
          { model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'html?' }] },
          { headers: { 'x-mock-scenario': 'bytes=64', 'cf-aig-cache-ttl': '300' } },
        )
        .catch((e: unknown) => e);
    for (let i = 0; i < 2; i++) {
      const err = await ask();
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((err as Error).message).toContain('anthropic: answered a body that is not JSON');
    }
    expect(mock.requests).toHaveLength(2);
    await gw.flushLogs();
    const log = (await gw.api('GET', '/gateways/default/logs?per_page=1')).json.result[0];
    expect(log).toMatchObject({ status_code: 502, success: false, cached: false });
  });
});
