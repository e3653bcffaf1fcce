import type { ServerResponse } from 'node:http';
import { FRAME_GAP_MS, firstByteDelay, makeReply, randomId, sleep, textOf } from './reply.ts';

/** Anthropic `POST /v1/messages`: JSON, or SSE from `message_start` to `message_stop`. */

export interface MessagesRequest {
  model?: unknown;
  stream?: unknown;
  max_tokens?: unknown;
  system?: unknown;
  messages?: unknown;
}

export async function messages(body: MessagesRequest, res: ServerResponse): Promise<void> {
  const list = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const prompt = [
    textOf(body.system),
    ...list.map((m) => (typeof m === 'object' && m !== null && 'content' in m ? textOf(m.content) : '')),
  ].join('\n');
  const reply = makeReply(
    prompt,
    list.length,
    typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
  );
  const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-5-5';
  const id = `msg_01${randomId(22)}`;
  const stopReason = reply.truncated ? 'max_tokens' : 'end_turn';
  const usage = (output: number) => ({
    input_tokens: reply.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
  });
  const headers = { 'request-id': `req_01${randomId(22)}` };
  await firstByteDelay();
  if (res.destroyed) return;

  if (body.stream !== true) {
    const json = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: reply.text }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usage(reply.outputTokens),
    };
    const text = JSON.stringify(json);
    res.writeHead(200, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }

  const event = (type: string, data: object = {}) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  res.write(event('message_start', { message: { ...message, usage: usage(1) } }));
  res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  res.write(event('ping'));
  for (const piece of reply.pieces) {
    await sleep(FRAME_GAP_MS);
    if (res.destroyed) return;
    res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
  }
  res.write(event('content_block_stop', { index: 0 }));
  res.write(
    event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: reply.outputTokens },
    }),
  );
  res.end(event('message_stop'));
}
