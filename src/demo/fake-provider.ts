import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MessagesRequest, messages } from './anthropic.ts';
import { type ChatRequest, chatCompletion } from './openai.ts';

/**
 * A stand-in provider for `gatehouse demo`: it speaks OpenAI chat completions and Anthropic
 * messages (JSON and SSE streaming) with short canned replies, plausible token counts and a little
 * latency, so a newcomer sees traffic, logs and usage without any provider key. Any API key works.
 */

export interface FakeProvider {
  /** `http://host:port`: the anthropic base URL; OpenAI clients use `${url}/v1`. */
  url: string;
  close(): Promise<void>;
}

export interface FakeProviderOptions {
  host?: string;
  port?: number;
}

function sendError(res: ServerResponse, status: number, anthropicShape: boolean, message: string): void {
  const body = anthropicShape
    ? {
        type: 'error',
        error: { type: status === 404 ? 'not_found_error' : 'invalid_request_error', message },
      }
    : { error: { message, type: 'invalid_request_error', param: null, code: null } };
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const path = new URL(req.url ?? '/', 'http://fake').pathname;
  const isAnthropic = path.startsWith('/v1/messages');
  const known = path === '/v1/chat/completions' || path === '/v1/messages';
  if (req.method !== 'POST' || !known) {
    sendError(
      res,
      404,
      isAnthropic,
      `The demo provider answers POST /v1/chat/completions and POST /v1/messages, not ${req.method} ${path}`,
    );
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    sendError(res, 400, isAnthropic, 'The request body is not valid JSON.');
    return;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    sendError(res, 400, isAnthropic, 'The request body must be a JSON object.');
    return;
  }
  if (isAnthropic) await messages(body as MessagesRequest, res);
  else await chatCompletion(body as ChatRequest, res);
}

export async function startFakeProvider(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, family, port } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
