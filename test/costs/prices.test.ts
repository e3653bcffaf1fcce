import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeCost } from '../../src/costs/compute.ts';
import { loadPriceTable } from '../../src/costs/prices.ts';
import type { Usage } from '../../src/providers/types.ts';
import { startGatehouse } from '../helpers/gatehouse.ts';

const table = loadPriceTable();
const usage = (u: Partial<Usage>): Usage => ({
  tokensIn: null,
  tokensOut: null,
  cachedTokensIn: null,
  cacheWriteTokensIn: null,
  reasoningTokens: null,
  ...u,
});

describe('price table', () => {
  it('ships every main provider, each entry with a date', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../data/prices.json', import.meta.url), 'utf8'));
    expect(shipped.models.length).toBeGreaterThan(60);
    for (const p of [
      'openai',
      'anthropic',
      'google-ai-studio',
      'groq',
      'mistral',
      'deepseek',
      'grok',
      'workers-ai',
      'aws-bedrock',
      'cohere',
    ]) {
      expect(table.providers()).toContain(p);
    }
  });

  it.each([
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai', 'gpt-4.1-mini', 'gpt-4.1-mini'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    // The lineups of late 2026.
    ['anthropic', 'claude-sonnet-4-6-20260217', 'claude-sonnet-4-6'],
    ['aws-bedrock', 'us.anthropic.claude-opus-5-5-v1:0', 'claude-opus-5-5'],
    ['openai', 'gpt-6.2-sol-2026-11-17', 'gpt-6.2-sol'],
    ['google-ai-studio', 'models/gemini-4-argon', 'gemini-4-argon'],
    ['grok', 'grok-4.7', 'grok-4.7'],
    ['deepseek', 'deepseek-v4-pro', 'deepseek-v4-pro'],
    ['anthropic', 'claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
    ['aws-bedrock', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet'],
    ['aws-bedrock', 'amazon.nova-pro-v1:0', 'amazon.nova-pro'],
    ['google-vertex-ai', 'google/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['google-vertex-ai', 'claude-opus-4-1@20250805', 'claude-opus-4-1'],
    ['google-ai-studio', 'models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['google-ai-studio', 'gemini-2.5-flash-lite-preview-06-17', 'gemini-2.5-flash-lite'],
    ['workers-ai', '@cf/meta/llama-3.1-8b-instruct', '@cf/meta/llama-3.1-8b-instruct'],
    ['groq', 'openai/gpt-oss-120b', 'openai/gpt-oss-120b'],
  ])('%s %s → %s', (provider, model, matched) => {
    expect(table.lookup(provider, model)?.matched).toBe(matched);
  });

  it('knows nothing of unknown models, or of models under another provider', () => {
    expect(table.lookup('openai', 'ft:my-finetune')).toBeUndefined();
    expect(table.lookup('groq', 'gpt-4o')).toBeUndefined();
    expect(table.lookup('openai', null)).toBeUndefined();
  });
});

describe('computeCost', () => {
  const price = (provider: string, model: string) => table.lookup(provider, model);

  it('OpenAI: cached input at the cache price, reasoning inside the output', () => {
    const c = computeCost({
      usage: usage({ tokensIn: 1000, cachedTokensIn: 200, tokensOut: 500, reasoningTokens: 100 }),
      price: price('openai', 'gpt-4o'),
      cached: false,
      custom: undefined,
    });
    expect(c.custom).toBe(false);
    expect(c.cost).toBeCloseTo((800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6, 12);
  });

  it('Anthropic: cache reads and writes priced apart from plain input', () => {
    const c = computeCost({
      usage: usage({ tokensIn: 1600, cachedTokensIn: 1000, cacheWriteTokensIn: 500, tokensOut: 200 }),
      price: price('anthropic', 'claude-sonnet-4-5'),
      cached: false,
      custom: undefined,
    });
    expect(c.cost).toBeCloseTo((100 * 3 + 1000 * 0.3 + 500 * 3.75 + 200 * 15) / 1e6, 12);
  });

  it('a separate reasoning price applies to the reasoning tokens only', () => {
    const c = computeCost({
      usage: usage({ tokensIn: 10, tokensOut: 1000, reasoningTokens: 400 }),
      price: price('perplexity-ai', 'sonar-deep-research'),
      cached: false,
      custom: undefined,
    });
    expect(c.cost).toBeCloseTo((10 * 2 + 600 * 8 + 400 * 3) / 1e6, 12);
  });

  it('custom cost overrides the table; a cache hit costs 0; nothing known is null', () => {
    const u = usage({ tokensIn: 100, tokensOut: 50 });
    const p = price('openai', 'gpt-4o');
    expect(
      computeCost({ usage: u, price: p, cached: false, custom: { perTokenIn: 0.001, perTokenOut: 0.002 } }),
    ).toEqual({
      cost: 0.2,
      custom: true,
    });
    expect(computeCost({ usage: null, price: p, cached: false, custom: { totalCost: 0.5 } })).toEqual({
      cost: 0.5,
      custom: true,
    });
    expect(computeCost({ usage: u, price: p, cached: true, custom: { totalCost: 9 } })).toEqual({
      cost: 0,
      custom: false,
    });
    expect(computeCost({ usage: u, price: undefined, cached: false, custom: undefined }).cost).toBeNull();
    expect(computeCost({ usage: null, price: p, cached: false, custom: undefined }).cost).toBeNull();
  });
});

describe('an operator price file', () => {
  it('is layered over the shipped table: new models, and shipped ones repriced', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-prices-')), 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          {
            id: 'ft:gpt-4o-mini:acme',
            providers: ['openai'],
            input: 0.3,
            output: 1.2,
            effective_from: '2026-01-01',
          },
          { id: 'gpt-4o', providers: ['openai'], input: 2, output: 8, effective_from: '2026-06-01' },
        ],
      }),
    );
    const t = loadPriceTable(file);
    expect(t.lookup('openai', 'ft:gpt-4o-mini:acme')).toMatchObject({ source: file, entry: { input: 0.3 } });
    expect(t.lookup('openai', 'gpt-4o-2024-08-06')).toMatchObject({ source: file, entry: { input: 2 } });
    expect(t.lookup('openai', 'gpt-4o-mini')?.source).toBe('shipped');
  });

  it('a malformed file names the field', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-prices-')), 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [{ id: 'x', providers: ['openai'], input: -1, output: 1, effective_from: '2026-01-01' }],
      }),
    );
    expect(() => loadPriceTable(file)).toThrow(/models\.0\.input/);
  });

  it('GATEHOUSE_PRICES_FILE reaches the running gateway', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-prices-')), 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { id: 'house-model', providers: ['groq'], input: 1, output: 2, effective_from: '2026-01-01' },
        ],
      }),
    );
    const gw = await startGatehouse({ GATEHOUSE_PRICES_FILE: file });
    try {
      expect(gw.gatehouse.app.prices.lookup('groq', 'house-model')?.source).toBe(file);
    } finally {
      await gw.close();
    }
  });
});
