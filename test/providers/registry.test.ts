import { describe, expect, it } from 'vitest';
import { createCustomProvider, getProvider, PROVIDER_SLUGS } from '../../src/providers/registry.ts';
import { listFixtures } from './fixtures.ts';
import { MODEL_CASES } from './model-cases.ts';
import { URL_CASES } from './url-cases.ts';
import { SHARED_FIXTURES, USAGE_CASES } from './usage-cases.ts';

const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('provider registry', () => {
  it('lists the built-in slugs, sorted, each resolving to its adapter', () => {
    expect(PROVIDER_SLUGS).toEqual(sorted(PROVIDER_SLUGS));
    expect(new Set(PROVIDER_SLUGS).size).toBe(PROVIDER_SLUGS.length);
    for (const slug of PROVIDER_SLUGS) expect(getProvider(slug)?.slug).toBe(slug);
  });

  it('has the providers Cloudflare AI Gateway documents, plus Ollama', () => {
    expect(PROVIDER_SLUGS).toEqual(
      expect.arrayContaining([
        'openai',
        'anthropic',
        'azure-openai',
        'aws-bedrock',
        'google-ai-studio',
        'google-vertex-ai',
        'workers-ai',
        'groq',
        'mistral',
        'cohere',
        'deepseek',
        'grok',
        'perplexity-ai',
        'replicate',
        'huggingface',
        'openrouter',
        'cerebras',
        'cartesia',
        'elevenlabs',
        'fal',
        'ideogram',
        'baseten',
        'parallel',
        'deepinfra',
        'fireworks',
        'together',
        'ollama',
      ]),
    );
  });

  it('finds nothing for unknown slugs, prototype keys included', () => {
    for (const slug of ['', 'nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'OpenAI']) {
      expect(getProvider(slug)).toBeUndefined();
    }
  });

  it('declares frozen adapters with lower-case credential headers and a base URL', () => {
    for (const slug of PROVIDER_SLUGS) {
      const a = getProvider(slug)!;
      expect(Object.isFrozen(a), slug).toBe(true);
      expect(a.name.length, slug).toBeGreaterThan(0);
      expect(a.defaultBaseUrl, slug).toMatch(/^https?:\/\/[^/]/);
      expect(a.defaultBaseUrl.endsWith('/'), slug).toBe(false);
      expect(a.authHeaders.length, slug).toBeGreaterThan(0);
      for (const h of a.authHeaders) expect(h, slug).toBe(h.toLowerCase());
    }
  });

  it('builds custom providers from a slug and a base URL', () => {
    const custom = createCustomProvider('custom-salad', 'https://api.salad.example/v1/');
    expect(custom.slug).toBe('custom-salad');
    expect(custom.defaultBaseUrl).toBe('https://api.salad.example/v1');
    expect(
      custom.resolveUrl({ path: 'chat/completions', search: '', accountId: 'a', baseUrl: undefined }),
    ).toEqual({
      ok: true,
      url: 'https://api.salad.example/v1/chat/completions',
    });
  });
});

/**
 * Structure enforced by a test: every provider has usage fixtures, URL cases and model cases, and
 * every fixture on disk is asserted somewhere. Adding a provider without them fails here.
 */
describe('every provider is tested', () => {
  it('has usage cases for exactly the registered providers', () => {
    expect(sorted(Object.keys(USAGE_CASES))).toEqual([...PROVIDER_SLUGS]);
    for (const [slug, cases] of Object.entries(USAGE_CASES)) {
      expect(cases.length, slug).toBeGreaterThan(0);
      for (const c of cases) expect(c.fixture.startsWith(`${slug}/`), c.fixture).toBe(true);
    }
  });

  it('has resolveUrl cases for exactly the registered providers', () => {
    expect(sorted(Object.keys(URL_CASES))).toEqual([...PROVIDER_SLUGS]);
    for (const [slug, cases] of Object.entries(URL_CASES)) expect(cases.length, slug).toBeGreaterThan(0);
  });

  it('has model cases for exactly the registered providers', () => {
    expect(sorted(Object.keys(MODEL_CASES))).toEqual([...PROVIDER_SLUGS]);
  });

  it('asserts every recorded fixture', () => {
    const asserted = new Set([
      ...Object.values(USAGE_CASES).flatMap((cases) => cases.map((c) => c.fixture)),
      ...Object.keys(SHARED_FIXTURES),
    ]);
    const orphans = listFixtures().filter((f) => !asserted.has(f));
    expect(orphans).toEqual([]);
  });

  it('gives every provider with a stream dialect at least one .sse fixture', () => {
    const silent = new Set(['elevenlabs', 'fal', 'ideogram', 'parallel', 'replicate', 'huggingface']);
    const ownStreams = new Set(
      Object.keys(SHARED_FIXTURES)
        .filter((f) => f.endsWith('.sse'))
        .map((f) => f.split('/')[0]),
    );
    for (const slug of PROVIDER_SLUGS) {
      if (silent.has(slug)) continue;
      const hasSse = USAGE_CASES[slug]!.some((c) => c.fixture.endsWith('.sse')) || ownStreams.has(slug);
      // OpenAI-compatible providers whose only fixture is JSON share the reader tested on openai's streams.
      const sharesOpenAiReader =
        getProvider(slug)!.createStreamReader === getProvider('openai')!.createStreamReader;
      expect(hasSse || sharesOpenAiReader, slug).toBe(true);
    }
  });
});
