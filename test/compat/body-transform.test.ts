import { describe, expect, it } from 'vitest';
import { chatDialect, compatTransform } from '../../src/compat/body-transform.ts';
import { anthropicTarget } from '../../src/compat/targets/anthropic.ts';
import type { ChatTarget, ResponseContext } from '../../src/compat/types.ts';

const ctx: ResponseContext = { id: 'chatcmpl-t', created: 1, model: 'anthropic/claude', includeUsage: false };

/** Runs one upstream answer through a fresh transform: the client's head and the whole body. */
function through(target: ChatTarget, status: number, contentType: string, chunks: string[]) {
  const t = compatTransform(target, ctx, chatDialect);
  const head = t.head(status, { 'content-type': contentType, 'content-length': '999' });
  let body = '';
  for (const c of chunks) body += t.data(Buffer.from(c));
  body += t.end();
  return { head, body, holdsHead: t.holdsHead(), failure: t.failure() };
}

describe('the answer rewritten on its way to the client', () => {
  it('a provider error keeps its status and becomes an OpenAI error; the length header goes', () => {
    const { head, body } = through(anthropicTarget, 429, 'application/json', [
      '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
    ]);
    expect(head['content-length']).toBeUndefined();
    expect(head['content-type']).toBe('application/json');
    expect(JSON.parse(body)).toEqual({
      error: {
        message: 'anthropic: slow down',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_error',
      },
    });
  });

  it('a 2xx body that is not JSON is an error in OpenAI’s shape, not a crash', () => {
    const { body, holdsHead, failure } = through(anthropicTarget, 200, 'application/json', [
      '<html>gateway timeout</html>',
    ]);
    expect(JSON.parse(body).error.message).toContain('answered a body that is not JSON');
    // The head waits for the end, which makes it a 502.
    expect(holdsHead).toBe(true);
    expect(failure).toBe('anthropic answered a body that is not JSON: <html>gateway timeout</html>');
  });

  it('a translator that throws on an answer yields an error body naming the provider', () => {
    const broken: ChatTarget = {
      ...anthropicTarget,
      response: () => {
        throw new Error('unexpected shape');
      },
      stream: () => ({
        event: () => {
          throw new Error('bad event');
        },
        end: () => [],
      }),
    };
    expect(JSON.parse(through(broken, 200, 'application/json', ['{}']).body).error.message).toBe(
      'gatehouse: translating the anthropic answer failed: unexpected shape',
    );
    const streamed = through(broken, 200, 'text/event-stream', ['event: message_start\ndata: {}\n\n']);
    // A stream's head goes out before its first event: its failure is a frame, not a status.
    expect(streamed.holdsHead).toBe(false);
    expect(streamed.failure).toBeUndefined();
    const stream = streamed.body;
    expect(stream).toContain('translating the anthropic stream failed: bad event');
    expect(stream).not.toContain('[DONE]');
  });

  it('an error event inside a stream ends it with an OpenAI error frame and nothing after', () => {
    const { head, body } = through(anthropicTarget, 200, 'text/event-stream', [
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]);
    expect(head['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(body).toBe(
      `data: ${JSON.stringify({ error: { message: 'anthropic: overloaded_error: Overloaded', type: 'server_error', param: null, code: null } })}\n\n`,
    );
  });

  it('a stream cut off upstream ends with an error frame after what was already translated', () => {
    const t = compatTransform(anthropicTarget, ctx, chatDialect);
    t.head(200, { 'content-type': 'text/event-stream' });
    const first = t.data(
      Buffer.from(
        'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\n',
      ),
    );
    expect(first).toContain('"role":"assistant"');
    expect(t.abort('socket hang up')).toContain('upstream stream interrupted: socket hang up');
  });
});
