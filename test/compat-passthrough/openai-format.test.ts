import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

let gw: TestGateway;
let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  ({ gw, mock } = await startWithMock({ GATEHOUSE_ALLOW_HTTP_HOSTS: '127.0.0.1' }));
  const added = await gw.api('POST', '/custom-providers', {
    name: 'Local',
    slug: 'local',
    base_url: `${mock.url}/v1`,
  });
  expect(added.status).toBe(200);
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${gw.gatewayUrl()}/compat`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

describe('/compat for OpenAI-format providers (the model rewritten, nothing else)', () => {
  it.each([
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'],
    ['custom-local/my-model', 'my-model'],
    // Workers AI serves the OpenAI API at `/ai/v1/…`; its model ids keep their `@cf/` prefix.
    ['workers-ai/@cf/meta/llama-3.1-8b-instruct', '@cf/meta/llama-3.1-8b-instruct'],
  ])('%s', async (model, native) => {
    mock.reset();
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(r.choices[0]?.message.content).toBeTruthy();
    const sent = mock.requests[0]!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(JSON.parse(sent.body.toString()).model).toBe(native);
    expect(sent.headers['authorization']).toBe('Bearer sk-test');
  });

  it('streams, and logs the provider that served it', async () => {
    const stream = await client.chat.completions.create({
      model: 'groq/llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    await gw.flushLogs();
    const log = (await gw.api('GET', '/gateways/default/logs?per_page=1')).json.result[0];
    expect(log.provider).toBe('groq');
    expect(log.model).toBe('llama-3.3-70b-versatile');
  });

  it('embeddings', async () => {
    mock.reset();
    const r = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello' });
    expect(r.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(mock.requests[0]!.url).toBe('/v1/embeddings');
  });

  it('embeddings on a provider served by translation is a 400 that says where embeddings are served', async () => {
    const err = await client.embeddings
      .create({ model: 'anthropic/claude-sonnet-4-5', input: 'hello' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('embeddings for OpenAI-format providers');
  });

  it('a provider /compat does not serve, or a model without a provider, is a 400 that says what is served', async () => {
    await expect(
      client.chat.completions.create({
        model: 'elevenlabs/eleven_multilingual_v2',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/not served on \/compat; it serves .*anthropic/),
    });
    const res = await fetch(`${gw.gatewayUrl()}/compat/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /model must be "\{provider\}\/\{model\}"/,
    );
  });

  it('GET /compat/models lists the models it can reach, with their prices, in the OpenAI SDK shape', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('openai/gpt-4o-mini');
    expect(ids).toContain('groq/llama-3.3-70b-versatile');
    expect(ids.some((id) => id.startsWith('anthropic/'))).toBe(true);
    expect(ids.some((id) => id.startsWith('elevenlabs/'))).toBe(false); // not a chat provider
    const res = await fetch(`${gw.gatewayUrl()}/compat/v1/models`);
    const body = (await res.json()) as { data: Array<{ id: string; cost_in: number; cost_out: number }> };
    const mini = body.data.find((m) => m.id === 'openai/gpt-4o-mini')!;
    expect(mini.cost_in).toBeCloseTo(0.15 / 1e6, 15);
    expect(mini.cost_out).toBeCloseTo(0.6 / 1e6, 15);
  });
});
