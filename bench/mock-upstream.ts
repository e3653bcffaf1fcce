import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

/**
 * The bench's upstream: a small OpenAI lookalike that answers `POST /v1/chat/completions` with a
 * fixed ~600-byte chat completion, or with `"stream": true` an SSE stream of 20 content chunks, a
 * finish chunk, a usage chunk and `data: [DONE]`. Everything is serialised once at start-up so the
 * mock spends as little CPU as possible (it shares a core with the load generator).
 *
 *   node bench/mock-upstream.ts [--port 0] [--delay-ms 0] [--chunk-interval-ms 0]
 *
 * `POST /v1/fail/chat/completions` answers a fixed 500 at once (the fallback scenario's failing step).
 *
 * `POST /v1/messages` answers as Anthropic's Messages API does, with the same text and token counts
 * (19 in, 41 out; streamed: 20 out): a JSON message, or with `"stream": true` the SSE events
 * message_start, content_block_start, ping, one content_block_delta per piece of the OpenAI
 * stream, content_block_stop, message_delta, message_stop. Paced like the OpenAI stream: the first
 * three events in one write, each delta in its own, the last three in one.
 *
 * --delay-ms           wait this long before sending the response head (an upstream that thinks)
 * --chunk-interval-ms  pause between SSE chunks (0: write them all at once)
 * Env MOCK_DELAY_MS and MOCK_CHUNK_INTERVAL_MS set the same. Prints `listening http://127.0.0.1:PORT`.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'delay-ms': { type: 'string', default: process.env['MOCK_DELAY_MS'] ?? '0' },
    'chunk-interval-ms': { type: 'string', default: process.env['MOCK_CHUNK_INTERVAL_MS'] ?? '0' },
  },
});
const port = Number(values.port);
const delayMs = Number(values['delay-ms']);
const chunkIntervalMs = Number(values['chunk-interval-ms']);

const CREATED = 1_735_689_600;
const MODEL = 'gpt-4o-mini-2024-07-18';
const WORDS =
  'Hello! Gatehouse forwarded this request to a mock upstream, and it answered in twenty small pieces.'
    .split(' ')
    .slice(0, 20);

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-BENCH0123456789abcdefghijklmn',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Hello! This is the canned answer of the Gatehouse bench upstream, the same every time.',
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 41,
      total_tokens: 60,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench0001',
  }),
);

function chunk(delta: object, finishReason: string | null, usage: object | null = null): Buffer {
  const body = {
    id: 'chatcmpl-BENCH0123456789abcdefghijklmn',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: MODEL,
    system_fingerprint: 'fp_bench0001',
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage,
  };
  return Buffer.from(`data: ${JSON.stringify(body)}\n\n`);
}

const streamChunks: Buffer[] = [
  ...WORDS.map((word, i) =>
    chunk(i === 0 ? { role: 'assistant', content: word } : { content: ` ${word}` }, null),
  ),
  chunk({}, 'stop'),
  chunk({}, null, { prompt_tokens: 19, completion_tokens: 20, total_tokens: 39 }),
  Buffer.from('data: [DONE]\n\n'),
];

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(completion.length) };
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

// Anthropic Messages: the same answer, in Anthropic's shapes.
const ANTHROPIC_MODEL = 'claude-sonnet-4-5-20250929';
const ANTHROPIC_ID = 'msg_01BENCH0123456789abcdefgh';
const anthropicUsage = (outputTokens: number) => ({
  input_tokens: 19,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: outputTokens,
  service_tier: 'standard',
});
const anthropicMessage = Buffer.from(
  JSON.stringify({
    id: ANTHROPIC_ID,
    type: 'message',
    role: 'assistant',
    model: ANTHROPIC_MODEL,
    content: [
      {
        type: 'text',
        text: 'Hello! This is the canned answer of the Gatehouse bench upstream, the same every time.',
      },
    ],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(41),
  }),
);

function event(type: string, data: object = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

const anthropicChunks: Buffer[] = [
  Buffer.from(
    event('message_start', {
      message: {
        id: ANTHROPIC_ID,
        type: 'message',
        role: 'assistant',
        model: ANTHROPIC_MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(1),
      },
    }) +
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      event('ping'),
  ),
  ...WORDS.map((word, i) =>
    Buffer.from(
      event('content_block_delta', {
        index: 0,
        delta: { type: 'text_delta', text: i === 0 ? word : ` ${word}` },
      }),
    ),
  ),
  Buffer.from(
    event('content_block_stop', { index: 0 }) +
      event('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 20 },
      }) +
      event('message_stop'),
  ),
];

interface Answer {
  json: Buffer;
  jsonHeaders: Record<string, string>;
  sseHeaders: Record<string, string>;
  chunks: Buffer[];
}
const OPENAI: Answer = {
  json: completion,
  jsonHeaders: JSON_HEADERS,
  sseHeaders: SSE_HEADERS,
  chunks: streamChunks,
};
const ANTHROPIC_REQUEST_ID = { 'request-id': 'req_01BENCH0123456789abcdefgh' };
const ANTHROPIC: Answer = {
  json: anthropicMessage,
  jsonHeaders: {
    ...ANTHROPIC_REQUEST_ID,
    'content-type': 'application/json',
    'content-length': String(anthropicMessage.length),
  },
  sseHeaders: { ...ANTHROPIC_REQUEST_ID, ...SSE_HEADERS },
  chunks: anthropicChunks,
};
const STREAM_TRUE = /"stream"\s*:\s*true/;

const FAILURE = Buffer.from(
  JSON.stringify({
    error: {
      message: 'The server had an error processing your request.',
      type: 'server_error',
      param: null,
      code: null,
    },
  }),
);
const FAILURE_HEADERS = { 'content-type': 'application/json', 'content-length': String(FAILURE.length) };

function handle(req: IncomingMessage, res: ServerResponse): void {
  // The fallback scenario's failing step: an immediate 500, as an overloaded provider answers.
  if (req.method === 'POST' && req.url === '/v1/fail/chat/completions') {
    req.resume();
    req.on('end', () => res.writeHead(500, FAILURE_HEADERS).end(FAILURE));
    return;
  }
  const answer =
    req.method !== 'POST'
      ? undefined
      : req.url === '/v1/chat/completions'
        ? OPENAI
        : req.url === '/v1/messages'
          ? ANTHROPIC
          : undefined;
  if (answer === undefined) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    req.resume();
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const stream = STREAM_TRUE.test(Buffer.concat(parts).toString('latin1'));
    if (delayMs > 0) setTimeout(respond, delayMs, res, stream, answer);
    else respond(res, stream, answer);
  });
}

function respond(res: ServerResponse, stream: boolean, answer: Answer): void {
  if (res.destroyed) return;
  if (!stream) {
    res.writeHead(200, answer.jsonHeaders).end(answer.json);
    return;
  }
  const chunks = answer.chunks;
  res.writeHead(200, answer.sseHeaders);
  if (chunkIntervalMs <= 0) {
    for (const part of chunks) res.write(part);
    res.end();
    return;
  }
  let next = 0;
  const writeNext = (): void => {
    if (res.destroyed) return;
    res.write(chunks[next++]);
    if (next < chunks.length) setTimeout(writeNext, chunkIntervalMs);
    else res.end();
  };
  writeNext();
}

const server = createServer({ keepAliveTimeout: 60_000 }, handle);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) console.log(`listening http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
