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
  it('openai: plain, and streaming with usage', async () => {
    const client = new OpenAI({ apiKey: 'any', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Say hello.' }];
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe('gpt-4o-mini');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    const text = r.choices[0]?.message.content ?? '';
    expect(text.length).toBeGreaterThan(10);
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBe(Math.ceil(text.length / 4));

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let deltas = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      const piece = c.choices[0]?.delta.content;
      if (piece) deltas++;
      streamed += piece ?? '';
      usage = c.usage ?? usage;
    }
    expect(streamed).toBe(text);
    expect(deltas).toBeGreaterThan(3);
    expect(usage).toEqual(r.usage);
  });

  it('openai: the reply varies with the prompt and respects max_tokens', async () => {
    const client = new OpenAI({ apiKey: 'any', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    const ask = async (content: string, max_tokens?: number) =>
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }], max_tokens });
    const replies = new Set<string | null>();
    for (const p of ['a', 'b', 'c', 'd', 'e', 'f']) replies.add((await ask(p)).choices[0]!.message.content);
    expect(replies.size).toBeGreaterThan(1);
    expect((await ask('a')).choices[0]!.message.content).toBe((await ask('a')).choices[0]!.message.content);
    const short = await ask('a', 3);
    expect(short.choices[0]?.finish_reason).toBe('length');
    expect(short.usage?.completion_tokens).toBe(3);
  });

  it('anthropic: plain and streaming', async () => {
    const client = new Anthropic({ apiKey: 'any', baseURL: fake.url, maxRetries: 0 });
    const params = {
      model: 'claude-x',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const r = await client.messages.create(params);
    expect(r.id).toMatch(/^msg_01/);
    expect(r.model).toBe('claude-x');
    expect(r.stop_reason).toBe('end_turn');
    const block = r.content[0];
    expect(block?.type).toBe('text');
    const text = block?.type === 'text' ? block.text : '';
    expect(r.usage.output_tokens).toBe(Math.ceil(text.length / 4));

    const events: string[] = [];
    const stream = client.messages.stream(params);
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    const finalBlock = final.content[0];
    expect(finalBlock?.type === 'text' ? finalBlock.text : '').toBe(text);
    expect(final.usage).toMatchObject({
      input_tokens: r.usage.input_tokens,
      output_tokens: r.usage.output_tokens,
    });
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events.filter((e) => e === 'content_block_delta').length).toBeGreaterThan(3);
  });

  it('answers other routes with a 404 in the provider error shape', async () => {
    const res = await fetch(`${fake.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const bad = await fetch(`${fake.url}/v1/messages`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});
