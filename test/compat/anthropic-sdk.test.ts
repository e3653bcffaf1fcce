import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

/**
 * The `@anthropic-ai/sdk` against `/compat/v1/messages`: Anthropic's format in, any provider
 * behind it (an OpenAI-format one, Gemini, Anthropic itself), Anthropic's format back.
 */

let gw: TestGateway;
let mock: MockUpstream;
let client: Anthropic;

beforeAll(async () => {
  ({ gw, mock } = await startWithMock());
  client = new Anthropic({ apiKey: 'provider-key', baseURL: `${gw.gatewayUrl()}/compat`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});
beforeEach(() => mock.reset());

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

const CASES = [
  {
    model: 'groq/llama-3.3-70b-versatile',
    path: '/v1/chat/completions',
    credential: ['authorization', 'Bearer provider-key'],
  },
  {
    model: 'google-ai-studio/gemini-2.5-flash',
    path: /^\/v1beta\/models\/gemini-2\.5-flash:/,
    credential: ['x-goog-api-key', 'provider-key'],
  },
] as const;

describe.each(CASES)('anthropic SDK → /compat/v1/messages → $model', ({ model, path, credential }) => {
  it('a plain message: text, stop reason, usage, the asked-for model', async () => {
    const m = await client.messages.create({
      model,
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(m.type).toBe('message');
    expect(m.role).toBe('assistant');
    expect(m.model).toBe(model);
    const text = m.content.find((b) => b.type === 'text');
    expect(text?.type === 'text' && text.text.length > 0).toBe(true);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const sent = mock.requests[0]!;
    if (typeof path === 'string') expect(sent.url).toBe(path);
    else expect(sent.url).toMatch(path);
    expect(sent.headers[credential[0]]).toBe(credential[1]);
    expect(sent.headers['x-api-key']).toBeUndefined();
    expect(sent.body.toString('utf8')).toContain('Be brief.');
  });

  it('a stream the SDK assembles into the same kind of message', async () => {
    const stream = client.messages.stream({
      model,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let deltas = '';
    stream.on('text', (t) => {
      deltas += t;
    });
    const m = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(0);
    const text = m.content.find((b) => b.type === 'text');
    expect(text?.type === 'text' ? text.text : '').toBe(deltas);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.output_tokens).toBeGreaterThan(0);
  });

  it('tools: tool_use blocks with ids, names and object inputs', async () => {
    const m = await client.messages.create({
      model,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Weather in two cities?' }],
    });
    const uses = m.content.filter((b) => b.type === 'tool_use');
    expect(m.stop_reason).toBe('tool_use');
    expect(uses).toHaveLength(2);
    for (const u of uses) {
      expect(u.id.length).toBeGreaterThan(0);
      expect(u.name).toBe('get_weather');
      expect(typeof u.input).toBe('object');
    }
  });

  it('tools, streamed: the SDK assembles each tool_use input from its JSON deltas', async () => {
    const m = await client.messages
      .stream({
        model,
        max_tokens: 256,
        tools: [weatherTool],
        messages: [{ role: 'user', content: 'Weather?' }],
      })
      .finalMessage();
    const uses = m.content.filter((b) => b.type === 'tool_use');
    expect(m.stop_reason).toBe('tool_use');
    expect(uses).toHaveLength(2);
    expect(new Set(uses.map((u) => u.id)).size).toBe(2);
    for (const u of uses) expect(Object.keys(u.input as object).length).toBeGreaterThan(0);
  });

  it.each([
    [400, Anthropic.BadRequestError],
    [401, Anthropic.AuthenticationError],
    [429, Anthropic.RateLimitError],
    [500, Anthropic.InternalServerError],
  ])('a provider %i raises the matching anthropic SDK error', async (status, kind) => {
    const err = await client.messages
      .create(
        { model, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'x-mock-scenario': `status=${status}` } },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(kind);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
  });

  it('an image block reaches the provider as an image in its own shape', async () => {
    await client.messages.create({
      model,
      max_tokens: 64,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    const body = mock.requests[0]!.body.toString('utf8');
    expect(body).toContain(
      model.startsWith('groq/')
        ? '{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}'
        : '{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}',
    );
  });

  it('structured output (output_config.format) reaches the provider as its JSON mode', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await client.messages.create({
      model,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Capital of France as JSON' }],
      ...({ output_config: { format: { type: 'json_schema', schema } } } as object),
    } as Anthropic.MessageCreateParamsNonStreaming);
    const sent = JSON.parse(mock.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
    if (model.startsWith('groq/')) {
      expect(sent['response_format']).toMatchObject({ type: 'json_schema', json_schema: { schema } });
    } else {
      expect(sent['generationConfig']).toMatchObject({
        responseMimeType: 'application/json',
        responseJsonSchema: schema,
      });
    }
  });

  it('a tool result turn reaches the provider as its own tool message', async () => {
    await client.messages.create({
      model,
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21°C, sunny' }] },
      ],
    });
    const body = mock.requests[0]!.body.toString('utf8');
    expect(body).toContain('21°C, sunny');
    expect(body).toContain('get_weather');
  });
});

describe('anthropic SDK → /compat/v1/messages → anthropic', () => {
  it('passes through to Anthropic with only the model rewritten', async () => {
    const m = await client.messages.create({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(m.content[0]?.type).toBe('text');
    const sent = mock.requests[0]!;
    expect(sent.url).toBe('/v1/messages');
    expect(JSON.parse(sent.body.toString('utf8')).model).toBe('claude-sonnet-4-5');
    // Whichever header the SDK put the key in, Anthropic gets it where its API keys go.
    expect(sent.headers['x-api-key']).toBe('provider-key');
    expect(sent.headers['authorization']).toBeUndefined();
  });

  it('a field OpenAI-format providers cannot take is a 400 naming it, sent nowhere', async () => {
    const err = await client.messages
      .create({
        model: 'groq/llama-3.3-70b-versatile',
        max_tokens: 64,
        // Anthropic's own sampling knob, which the OpenAI format has no field for.
        ...({ top_k: 5 } as object),
        messages: [{ role: 'user', content: 'Hi' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('top_k');
    expect(mock.requests).toHaveLength(0);
  });
});
