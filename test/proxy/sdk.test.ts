import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

let gw: TestGateway;
let mock: MockUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  ({ gw, mock } = await startWithMock());
  // The only change a user makes: the base URL.
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${gw.gatewayUrl()}/openai`, maxRetries: 0 });
  anthropic = new Anthropic({
    apiKey: 'sk-ant-test',
    baseURL: `${gw.gatewayUrl()}/anthropic`,
    maxRetries: 0,
  });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

describe('official SDKs pointed at the gateway by baseURL alone', () => {
  it('openai: plain chat completion', async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(r.choices[0]?.message.content).toBeTruthy();
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
    expect(mock.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-test');
  });

  it('openai: streaming, with usage', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('openai: an upstream 429 surfaces as the SDK rate-limit error', async () => {
    const err = await openai.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-mock-scenario': 'status=429;retry-after=1' } },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
  });

  it('openai: embeddings', async () => {
    const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(r.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('anthropic: plain message', async () => {
    const r = await anthropic.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(r.content[0]?.type).toBe('text');
    expect(r.usage.output_tokens).toBeGreaterThan(0);
    // Recent SDKs send the key as a bearer token, older ones as x-api-key; either is forwarded untouched.
    const sent = mock.requests.at(-1)!.headers;
    expect(sent['x-api-key'] ?? sent['authorization']).toMatch(/^(Bearer )?sk-ant-test$/);
  });

  it('anthropic: streaming', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]?.type).toBe('text');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('anthropic: an upstream 429 surfaces as the SDK rate-limit error', async () => {
    const err = await anthropic.messages
      .create(
        { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-mock-scenario': 'status=429' } },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
  });
});
