import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in provider for `gatehouse demo`: it speaks OpenAI chat completions and Anthropic
 * messages (JSON and SSE streaming) with short canned replies and plausible token counts, so a
 * newcomer sees traffic, logs and usage without any provider key.
 */
export interface FakeProvider {
  url: string;
  close(): Promise<void>;
}

const REPLIES = [
  'Gatehouse sits between your app and the model provider, adding logs, caching and limits.',
  'HTTP caching stores a response once and serves later identical requests from the store.',
  'Two, three and five are prime numbers.',
  'Hello! This answer comes from the Gatehouse demo provider.',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function pick(prompt: string): string {
  let h = 0;
  for (const ch of prompt) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return REPLIES[h % REPLIES.length]!;
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: Array<{ content?: unknown }>;
}

function promptOf(body: ChatBody): string {
  return (body.messages ?? [])
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))
    .join('\n');
}

async function openAiChat(body: ChatBody, res: ServerResponse): Promise<void> {
  const prompt = promptOf(body);
  const reply = pick(prompt);
  const model = body.model ?? 'gpt-4o-mini';
  const id = `chatcmpl-demo${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: tokens(prompt),
    completion_tokens: tokens(reply),
    total_tokens: tokens(prompt) + tokens(reply),
  };
  await sleep(20 + Math.random() * 60);
  if (!body.stream) {
    const json = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
      usage,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const w of words(reply)) {
    await sleep(10);
    res.write(chunk({ content: w }, null));
  }
  res.write(chunk({}, 'stop'));
  if (body.stream_options?.include_usage) {
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

async function anthropicMessages(body: ChatBody, res: ServerResponse): Promise<void> {
  const prompt = promptOf(body);
  const reply = pick(prompt);
  const model = body.model ?? 'claude-sonnet-4-5';
  const id = `msg_demo${Date.now().toString(36)}`;
  const inTokens = tokens(prompt);
  const outTokens = tokens(reply);
  await sleep(20 + Math.random() * 60);
  if (!body.stream) {
    const json = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: inTokens, output_tokens: outTokens },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = (name: string, data: object) =>
    `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  res.write(
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inTokens, output_tokens: 1 },
      },
    }),
  );
  res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  for (const w of words(reply)) {
    await sleep(10);
    res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } }));
  }
  res.write(event('content_block_stop', { index: 0 }));
  res.write(
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: outTokens },
    }),
  );
  res.end(event('message_stop', {}));
}

function notFound(res: ServerResponse, path: string): void {
  const body = {
    error: {
      message: `The demo provider only answers /v1/chat/completions and /v1/messages, not ${path}`,
      type: 'invalid_request_error',
    },
  };
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const path = (req.url ?? '/').split('?')[0]!;
  let body: ChatBody = {};
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ChatBody;
  } catch {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
    return;
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') return openAiChat(body, res);
  if (req.method === 'POST' && path === '/v1/messages') return anthropicMessages(body, res);
  notFound(res, path);
}

export async function startFakeProvider(opts: { host?: string; port?: number } = {}): Promise<FakeProvider> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
