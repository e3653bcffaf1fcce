import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../src/demo/fake-provider.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake?.close());

describe('the demo fake provider speaks the real formats', () => {
  it('openai: plain and streaming with usage', async () => {
    const client = new OpenAI({ apiKey: 'x', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(10);
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      usage = c.usage?.total_tokens ?? usage;
    }
    expect(text).toBe(r.choices[0]?.message.content);
    expect(usage).toBeGreaterThan(0);
  });

  it('anthropic: plain and streaming', async () => {
    const client = new Anthropic({ apiKey: 'x', baseURL: fake.url, maxRetries: 0 });
    const r = await client.messages.create({
      model: 'claude-x',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.content[0]?.type).toBe('text');
    const final = await client.messages
      .stream({ model: 'claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    expect(final.content[0]?.type === 'text' && final.content[0].text).toBe(
      r.content[0]?.type === 'text' && r.content[0].text,
    );
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });
});
