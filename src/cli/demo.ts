import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { startFakeProvider } from '../demo/fake-provider.ts';
import { createGatehouse } from '../server/app.ts';

/**
 * A newcomer's first run: the gateway on its usual port, wired to a built-in fake provider that
 * speaks the OpenAI and Anthropic formats, some traffic through it, and lines to try next.
 * Demo data lives in `{data_dir}/demo`, apart from real data.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      once: { type: 'boolean' },
      requests: { type: 'string', default: '12' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: gatehouse demo [--config PATH] [--requests N] [--once]\n\n' +
        '  --requests N  sample requests to send (default 12)\n  --once        exit after the sample traffic',
    );
    return 0;
  }
  const count = Number(values.requests);
  if (!Number.isInteger(count) || count < 0 || count > 10_000) {
    console.error('gatehouse demo: --requests must be an integer from 0 to 10000');
    return 1;
  }
  let config: ReturnType<typeof loadConfig>['config'];
  try {
    config = loadConfig(process.env, process.cwd(), values.config).config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gatehouse: configuration error: ${err.message}`);
      return 1;
    }
    throw err;
  }

  const fake = await startFakeProvider({ host: '127.0.0.1', port: 0 });
  config.dataDir = join(config.dataDir, 'demo');
  config.providerBaseUrls = { ...config.providerBaseUrls, openai: `${fake.url}/v1`, anthropic: fake.url };
  const gatehouse = await createGatehouse(config, { log: () => undefined });
  const address = await gatehouse.listen();
  const base = `http://${address.address}:${address.port}/v1/${config.accountId}/default`;

  console.log(
    `Gatehouse demo: gateway on http://${address.address}:${address.port}, fake provider on ${fake.url}`,
  );
  console.log(`Sending ${count} sample requests (OpenAI and Anthropic formats, plain and streaming)…`);
  const results = await sendSampleTraffic(base, count);
  console.log(`  ${results.ok} succeeded, ${results.failed} failed`);
  await gatehouse.app.logs.flush();

  const api = `http://${address.address}:${address.port}/client/v4/accounts/${config.accountId}/ai-gateway`;
  console.log(`
Try it yourself (any API key works against the fake provider):

  curl ${base}/openai/chat/completions \\
    -H 'content-type: application/json' -H 'authorization: Bearer sk-demo' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'

  // Node, with the official SDK: only the base URL changes
  import OpenAI from 'openai';
  const client = new OpenAI({ apiKey: 'sk-demo', baseURL: '${base}/openai' });
  const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });

See the logs:
  curl ${api}/gateways/default/logs -H 'authorization: Bearer ${gatehouse.adminToken.generated ? gatehouse.adminToken.value : '<admin token>'}'
`);

  if (values.once) {
    await gatehouse.close();
    await fake.close();
    return results.failed === 0 ? 0 : 1;
  }
  console.log('Press Ctrl-C to stop.');
  const stop = () => {
    void gatehouse
      .close()
      .then(() => fake.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return 0;
}

const PROMPTS = [
  'What is a gateway?',
  'Summarise HTTP caching in one line.',
  'Name three prime numbers.',
  'Say hello.',
];

async function sendSampleTraffic(base: string, count: number): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const prompt = PROMPTS[i % PROMPTS.length]!;
    const stream = i % 3 === 2;
    const anthropic = i % 2 === 1;
    const metadata = JSON.stringify({
      user: `demo-user-${i % 3}`,
      feature: anthropic ? 'assistant' : 'search',
    });
    const res = anthropic
      ? await fetch(`${base}/anthropic/v1/messages`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': 'demo-key',
            'anthropic-version': '2023-06-01',
            'cf-aig-metadata': metadata,
          },
          body: JSON.stringify({
            model: 'claude-sonnet-5-5',
            max_tokens: 256,
            stream,
            messages: [{ role: 'user', content: prompt }],
          }),
        })
      : await fetch(`${base}/openai/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer sk-demo',
            'cf-aig-metadata': metadata,
          },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            stream,
            ...(stream ? { stream_options: { include_usage: true } } : {}),
            messages: [{ role: 'user', content: prompt }],
          }),
        });
    await res.arrayBuffer();
    if (res.ok) ok++;
    else failed++;
  }
  return { ok, failed };
}
