import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/gateways/schema.ts';
import { startGatehouse, type TestGateway } from '../helpers/gatehouse.ts';
import { spawnCli } from '../helpers/spawn.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGatehouse({ GATEHOUSE_ALLOW_HTTP_HOSTS: 'gpu-box.internal' });
  await gw.gatehouse.app.gateways.create('local', 'prod', { ...DEFAULT_SETTINGS, authentication: true });
});
afterAll(() => gw?.close());

async function cli(...args: string[]) {
  const p = spawnCli([...args, '--url', gw.url, '--admin-token', gw.adminToken], {});
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('gatehouse keys', () => {
  it('adds, lists, rotates and removes a stored key without ever printing it', async () => {
    const secret = 'sk-cli-stored-key-abcdefghijklmnop';
    const added = await cli('keys', 'add', '--gateway', 'prod', '--provider', 'openai', '--secret', secret);
    expect(added.code).toBe(0);
    const id = added.out.match(/as ([0-9a-f-]{36})/)![1]!;
    expect(added.out).toMatch(/Stored openai key "default"/);
    expect(added.out).not.toContain('abcdefghijklmnop');

    const listed = await cli('keys', 'list', '--gateway', 'prod');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${id}\\s+openai\\s+default\\s+yes`));
    expect(listed.out).not.toContain(secret);

    const rotated = await cli(
      'keys',
      'rotate',
      '--gateway',
      'prod',
      id,
      '--secret',
      'sk-cli-rotated-zyxwvutsrq',
    );
    expect(rotated.code).toBe(0);
    expect(gw.gatehouse.app.providerKeys.lookup('local', 'prod', 'openai', undefined)).toMatchObject({
      kind: 'found',
      secret: 'sk-cli-rotated-zyxwvutsrq',
    });

    expect((await cli('keys', 'rm', '--gateway', 'prod', id)).code).toBe(0);
    expect((await cli('keys', 'list', '--gateway', 'prod')).out).toContain('(no stored keys)');
  });

  it('explains what is missing', async () => {
    const noGateway = await cli('keys', 'list');
    expect(noGateway.code).toBe(1);
    expect(noGateway.out).toMatch(/--gateway is required/);
    const noSecret = await cli('keys', 'add', '--gateway', 'prod', '--provider', 'openai');
    expect(noSecret.code).toBe(1);
    expect(noSecret.out).toMatch(/standard input was empty|--secret/);
    const badProvider = await cli(
      'keys',
      'add',
      '--gateway',
      'prod',
      '--provider',
      'nope',
      '--secret',
      'x1234567890',
    );
    expect(badProvider.code).toBe(1);
    expect(badProvider.out).toMatch(/provider_slug "nope" is not a provider/);
  });
});

describe('gatehouse providers', () => {
  it('adds a custom provider and lists it', async () => {
    const added = await cli(
      'providers',
      'add',
      '--slug',
      'vllm',
      '--name',
      'vLLM',
      '--base-url',
      'https://llm.example.com/v1',
    );
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/Added custom provider vLLM as custom-vllm → https:\/\/llm\.example\.com\/v1/);
    const listed = await cli('providers', 'list');
    expect(listed.out).toMatch(/custom-vllm\s+vLLM\s+https:\/\/llm\.example\.com\/v1/);
  });

  it('allows plain http only for hosts the operator listed', async () => {
    const refused = await cli(
      'providers',
      'add',
      '--slug',
      'local',
      '--name',
      'Local',
      '--base-url',
      'http://other-box:8000',
    );
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /base_url must start with https:\/\/; plain http only for hosts in custom_providers\.allow_http_hosts \(now: gpu-box\.internal\)/,
    );
    const allowed = await cli(
      'providers',
      'add',
      '--slug',
      'gpu',
      '--name',
      'GPU box',
      '--base-url',
      'http://gpu-box.internal:11434/v1',
    );
    expect(allowed.code).toBe(0);
  });
});

describe('gatehouse prices', () => {
  it('shows what a model costs and where the price came from', async () => {
    const p = spawnCli(['prices', 'anthropic/claude-sonnet-4-5-20250929'], {});
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(
      /anthropic\/claude-sonnet-4-5-20250929: priced as "claude-sonnet-4-5" \(data\/prices\.json, effective \d{4}-\d{2}-\d{2}\)/,
    );
    expect(p.output()).toMatch(/input\s+\$3 \/ 1M tokens/);
    expect(p.output()).toMatch(/cache read\s+\$0\.3 \/ 1M tokens/);
  });

  it('lists a provider, and says plainly when a model has no price', async () => {
    const list = spawnCli(['prices', 'groq'], {});
    expect(await list.exited).toBe(0);
    expect(list.output()).toMatch(/llama-3\.3-70b-versatile\s+\$0\.59\s+\$0\.79/);
    const unknown = spawnCli(['prices', 'openai/ft:custom'], {});
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toMatch(
      /no price for openai\/ft:custom: requests to it are logged with cost null/,
    );
  });
});
