import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useGatewayWithMock } from '../helpers/setup.ts';

const ctx = useGatewayWithMock();

/** Sends raw bytes on a fresh socket and returns whatever comes back before close (or 2 s). */
function raw(bytes: Buffer | string): Promise<string> {
  const { port } = new URL(ctx.gw.url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(port), '127.0.0.1', () => s.end(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    s.on('close', done);
    s.on('error', done);
    s.setTimeout(2000, () => s.destroy());
  });
}

async function stillServing() {
  const res = await request(`${ctx.gw.url}/healthz`);
  expect(res.statusCode).toBe(200);
  await res.body.text();
}

describe('garbage in never crashes the process', () => {
  it('random bytes on the socket', async () => {
    for (let i = 0; i < 20; i++) await raw(randomBytes(64 + i * 50));
    await stillServing();
  });

  /** The JSON body of a raw answer. */
  const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

  it('a malformed request line gets a 400 with an AiGatewayError body', async () => {
    const answer = await raw('GARBAGE / HTTP/9.9\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(bodyOf(answer)).toMatchObject({ name: 'AiGatewayError', internalCode: 2011, httpCode: 400 });
    await stillServing();
  });

  it('huge headers get a 431 that names the limit, and are not fatal', async () => {
    const big = `GET /v1/local/default/openai/models HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(100_000)}\r\n\r\n`;
    const answer = await raw(big);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect(bodyOf(answer).message).toMatch(/request line and headers together are over \d+ bytes/);
    await stillServing();
  });

  it('broken JSON bodies are forwarded as bytes and logged without a model', async () => {
    const res = await request(`${ctx.gw.gatewayUrl()}/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-scenario': 'echo' },
      body: '{"model": "gpt-4o-mini", "messages": [',
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await stillServing();
  });

  it('odd URLs and methods', async () => {
    const paths = [
      '/v1/local/default/openai/%',
      '/v1/local/default/openai/%zz',
      '/v1/local/default/%00/x',
      '/v1/local/default/openai/' + 'a/'.repeat(2000),
      '/v1//default/openai/x',
      '/v1/local/default/custom-/x',
      '/v1/local/default/custom-unknown/x',
      '/client/v4/accounts/local/ai-gateway/gateways/%ff',
      '/client/v4/../../etc/passwd',
    ];
    for (const p of paths) {
      const res = await request(`${ctx.gw.url}${p}`, { method: 'POST', body: randomBytes(100) });
      expect(res.statusCode, p).toBeGreaterThanOrEqual(200);
      await res.body.arrayBuffer();
    }
    for (const method of ['PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      const res = await request(`${ctx.gw.gatewayUrl()}/openai/models`, { method: method as 'PATCH' });
      await res.body.arrayBuffer();
    }
    await stillServing();
  });

  it('a client that sends half a body and leaves', async () => {
    const { port } = new URL(ctx.gw.url);
    await new Promise<void>((resolve) => {
      const s = connect(Number(port), '127.0.0.1', () => {
        s.write(
          'POST /v1/local/default/openai/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{"model"',
        );
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
    });
    await stillServing();
  });

  it('JSON nested thousands deep: a 400 naming the depth from compat and the universal endpoint, passed on as is elsewhere', async () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const tool = (n: number) =>
      `${'{"type":"object","properties":{"a":'.repeat(n)}{"type":"string"}${'}}'.repeat(n)}`;
    const post = async (path: string, body: string) => {
      const res = await request(`${ctx.gw.gatewayUrl()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
        body,
      });
      return { status: res.statusCode, json: (await res.body.json()) as { message?: string } };
    };
    const chat = (extra: string, model = 'anthropic/claude-3-5-sonnet') =>
      `{"model":"${model}","messages":[{"role":"user","content":"hi"}],${extra}}`;
    for (const n of [5000, 100_000]) {
      const compat = await post('/compat/chat/completions', chat(`"x":${nested(n)}`, 'openai/gpt-4o'));
      expect(compat.status).toBe(400);
      expect(compat.json.message).toBe(
        `Invalid request body: the JSON body nests ${n + 1} levels deep, too deep to translate; compat takes bodies under 256 levels`,
      );
      const step = `[{"provider":"openai","endpoint":"chat/completions","headers":{},"query":${nested(n)}}]`;
      const universal = await post('', step);
      expect(universal.status).toBe(400);
      expect(universal.json.message).toMatch(`step 0: the body nests ${n + 2} levels deep`);
    }
    const tools = (n: number) =>
      chat(`"tools":[{"type":"function","function":{"name":"f","parameters":${tool(n)}}}]`);
    expect((await post('/compat/chat/completions', tools(4000))).status).toBe(400);
    // A deep tool schema that is still sane translates.
    expect((await post('/compat/chat/completions', tools(100))).status).toBe(200);
    // A provider route passes any JSON on untouched.
    expect((await post('/openai/chat/completions', `{"model":"gpt-4o","x":${nested(100_000)}}`)).status).toBe(
      200,
    );
    await stillServing();
  });
});
