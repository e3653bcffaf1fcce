import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { EventStreamDecoder, encodeEventStreamMessage } from '../../src/providers/formats/aws-eventstream.ts';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

const PATH =
  'aws-bedrock/bedrock-runtime/us-east-1/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream';

async function converseStream(headers: Record<string, string> = {}) {
  const res = await request(`${ctx.gw.gatewayUrl()}/${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bedrock-api-key', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'When does my order ship?' }] }] }),
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const messages = new EventStreamDecoder().push(bytes);
  return { status: res.statusCode, headers: res.headers, bytes, messages };
}

async function lastLog() {
  await ctx.gw.flushLogs();
  return (await ctx.gw.api('GET', '/gateways/default/logs?per_page=1')).json.result[0] as Record<string, any>;
}

describe('AWS event stream framing', () => {
  const messages = [
    encodeEventStreamMessage({ ':message-type': 'event', ':event-type': 'a' }, Buffer.from('{"x":1}')),
    encodeEventStreamMessage({ ':message-type': 'event', ':event-type': 'b' }, Buffer.alloc(0)),
    encodeEventStreamMessage({ ':message-type': 'exception', ':exception-type': 'c' }, Buffer.from('{}')),
  ];
  const all = Buffer.concat(messages);

  it('decodes messages split at every byte the same as whole', () => {
    const whole = new EventStreamDecoder().push(all);
    expect(whole.map((m) => m.headers[':event-type'] ?? m.headers[':exception-type'])).toEqual([
      'a',
      'b',
      'c',
    ]);
    const d = new EventStreamDecoder();
    const split = [];
    for (let i = 0; i < all.length; i++) split.push(...d.push(all.subarray(i, i + 1)));
    expect(split).toEqual(whole);
    expect(whole[0]!.payload.toString()).toBe('{"x":1}');
  });

  it('stops for good at a corrupt message instead of throwing', () => {
    const bad = Buffer.from(all);
    const at = messages[0]!.length + 20;
    bad[at] = bad[at]! ^ 0xff; // inside the second message
    const d = new EventStreamDecoder();
    expect(d.push(bad)).toHaveLength(1);
    expect(d.failed).toBe(true);
    expect(d.push(messages[0]!)).toEqual([]);
  });
});

describe('Bedrock ConverseStream through the gateway', () => {
  it('passes the binary stream through byte for byte and reads its usage', async () => {
    const r = await converseStream();
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(r.messages.map((m) => m.headers[':event-type'])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    const log = await lastLog();
    expect(log['success']).toBe(true);
    expect(log['tokens_in']).toBe(31 + 1024);
    expect(log['tokens_out']).toBe(64);
    expect(log['model']).toBe('anthropic.claude-3-5-sonnet-20241022-v2:0');
  });

  it('an exception frame first in the stream is retried before the client sees anything', async () => {
    ctx.mock.enqueue('stream-error=0');
    const r = await converseStream({ 'cf-aig-max-attempts': '2', 'cf-aig-retry-delay': '0' });
    expect(r.status).toBe(200);
    expect(r.messages.some((m) => m.headers[':message-type'] === 'exception')).toBe(false);
    expect(ctx.mock.requests).toHaveLength(2);
  });

  it('an exception frame after content passes through and marks the request failed', async () => {
    const r = await converseStream({ 'x-mock-scenario': 'stream-error=3' });
    expect(r.messages.at(-1)!.headers[':exception-type']).toBe('throttlingException');
    const log = await lastLog();
    expect(log['success']).toBe(false);
    expect(log['error']).toBe('throttlingException: Too many tokens, please wait before trying again.');
  });

  it('a stream cut off mid-way ends with an exception message the AWS SDKs raise', async () => {
    const r = await converseStream({ 'x-mock-scenario': 'cut-mid-stream;frame-gap=5' });
    const last = r.messages.at(-1)!;
    expect(last.headers[':message-type']).toBe('exception');
    expect(last.headers[':exception-type']).toBe('internalServerException');
    expect(JSON.parse(last.payload.toString()).message).toMatch(/upstream stream interrupted/);
    expect(r.messages.length).toBeLessThan(7);
    expect((await lastLog())['error']).toMatch(/aws-bedrock response cut off/);
  });
});
