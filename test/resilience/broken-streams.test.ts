import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gatehouse.ts';
import { type MockUpstream, startWithMock } from '../helpers/setup.ts';

let gw: TestGateway;
let mock: MockUpstream;

beforeAll(async () => {
  // A short idle timeout between frames, so a stalled stream is detected within the test.
  ({ gw, mock } = await startWithMock({ GATEHOUSE_STREAM_IDLE_TIMEOUT_MS: '300' }));
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

const openaiClient = (scenario: string) =>
  new OpenAI({
    apiKey: 'sk-test',
    baseURL: `${gw.gatewayUrl()}/openai`,
    maxRetries: 0,
    defaultHeaders: { 'x-mock-scenario': scenario },
  });
const anthropicClient = (scenario: string) =>
  new Anthropic({
    apiKey: 'sk-ant-test',
    baseURL: `${gw.gatewayUrl()}/anthropic`,
    maxRetries: 0,
    defaultHeaders: { 'x-mock-scenario': scenario },
  });

async function lastLog() {
  await gw.flushLogs();
  const r = await gw.api('GET', '/gateways/default/logs?per_page=1');
  return r.json.result[0] as Record<string, any>;
}

describe('a stream cut off after bytes reached the client ends with an error the SDK raises', () => {
  it('openai SDK: a reset mid-stream raises an APIError, not a truncated answer', async () => {
    const stream = await openaiClient('cut-mid-stream;frame-gap=5').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    const err = await consume().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/upstream stream interrupted/);
    expect(text.length).toBeGreaterThan(0); // some content did arrive first
    const log = await lastLog();
    expect(log['success']).toBe(false);
    expect(log['error']).toMatch(/openai response cut off after \d+ bytes: connection reset/);
  });

  it('anthropic SDK: a reset mid-stream raises an APIError', async () => {
    const stream = anthropicClient('cut-mid-stream;frame-gap=5').messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const err = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as Error).message).toMatch(/upstream stream interrupted/);
    const log = await lastLog();
    expect(log['success']).toBe(false);
    expect(log['error']).toMatch(/anthropic response cut off/);
  });

  it('openai SDK: a stream that goes silent past the idle timeout raises', async () => {
    const stream = await openaiClient('stall-after=2').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/stalled between chunks/);
    const log = await lastLog();
    expect(log['error']).toMatch(/stalled between chunks/);
    expect(mock.requests.at(-1)!.aborted).toBe(true);
  });

  it('anthropic SDK: a stalled stream raises too', async () => {
    const stream = anthropicClient('stall-after=2').messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const err = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Anthropic.APIError);
  });

  it('Gemini streams end with an error object in Google’s shape', async () => {
    const res = await request(
      `${gw.gatewayUrl()}/google-ai-studio/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-goog-api-key': 'g-key',
          'x-mock-scenario': 'cut-mid-stream;frame-gap=5',
        },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
      },
    );
    const text = await res.body.text();
    const last = text
      .trimEnd()
      .split(/\r?\n\r?\n/)
      .at(-1)!;
    const frame = JSON.parse(last.replace(/^data: /, '')) as { error: { code: number; status: string } };
    expect(frame.error.status).toBe('UNAVAILABLE');
  });

  it('a JSON body cut off mid-way is cut off for the client too (no fake completion)', async () => {
    const res = await request(`${gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-scenario': 'cut-mid-stream' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await expect(res.body.text()).rejects.toThrow();
  });
});
