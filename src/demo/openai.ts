import type { ServerResponse } from 'node:http';
import { FRAME_GAP_MS, firstByteDelay, makeReply, randomId, sleep, textOf } from './reply.ts';

/** OpenAI `POST /v1/chat/completions`: JSON, or SSE ending with `[DONE]` (usage chunk on request). */

export interface ChatRequest {
  model?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  messages?: unknown;
}

const FINGERPRINT = 'fp_demo0001';

export async function chatCompletion(body: ChatRequest, res: ServerResponse): Promise<void> {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const prompt = messages
    .map((m) => (typeof m === 'object' && m !== null && 'content' in m ? textOf(m.content) : ''))
    .join('\n');
  const limit = body.max_completion_tokens ?? body.max_tokens;
  const reply = makeReply(prompt, messages.length, typeof limit === 'number' ? limit : undefined);
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const id = `chatcmpl-${randomId(29)}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = reply.truncated ? 'length' : 'stop';
  const usage = {
    prompt_tokens: reply.inputTokens,
    completion_tokens: reply.outputTokens,
    total_tokens: reply.inputTokens + reply.outputTokens,
  };
  await firstByteDelay();
  if (res.destroyed) return;

  if (body.stream !== true) {
    const json = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    };
    const text = JSON.stringify(json);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, service_tier: 'default', system_fingerprint: FINGERPRINT, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
  const delta = (d: object, finishReason: string | null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finishReason },
  ];
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(chunk(delta({ role: 'assistant', content: '', refusal: null }, null)));
  for (const piece of reply.pieces) {
    await sleep(FRAME_GAP_MS);
    if (res.destroyed) return;
    res.write(chunk(delta({ content: piece }, null)));
  }
  res.write(chunk(delta({}, finish)));
  if (includeUsage) res.write(chunk([], { usage }));
  res.end('data: [DONE]\n\n');
}
