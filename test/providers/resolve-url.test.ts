import { describe, expect, it } from 'vitest';
import { getProvider, PROVIDER_SLUGS } from '../../src/providers/registry.ts';
import { unsafePathReason } from '../../src/providers/shared/path.ts';
import type { UpstreamRequest } from '../../src/providers/types.ts';
import { REJECT_CASES, URL_CASES } from './url-cases.ts';

function request(path: string, extra: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return { path, search: '', accountId: 'acc', baseUrl: undefined, ...extra };
}

describe.each(Object.entries(URL_CASES))('%s: upstream URL', (slug, cases) => {
  it.each(
    cases.map((c) => [`${c.path}${c.search ?? ''}${c.baseUrl ? ` (base ${c.baseUrl})` : ''}`, c] as const),
  )('%s', (_name, c) => {
    const resolved = getProvider(slug)!.resolveUrl(
      request(c.path, { search: c.search ?? '', accountId: c.accountId ?? 'acc', baseUrl: c.baseUrl }),
    );
    expect(resolved).toEqual({ ok: true, url: c.url });
    // What we produce must parse to itself: nothing for the URL parser to normalise away.
    expect(new URL(c.url).href).toBe(c.url);
  });
});

describe.each(Object.entries(REJECT_CASES))('%s: refused paths', (slug, cases) => {
  it.each(cases.map((c) => [c.path, c] as const))('%s', (_path, c) => {
    const resolved = getProvider(slug)!.resolveUrl(request(c.path, { baseUrl: c.baseUrl }));
    expect(resolved.ok).toBe(false);
    if (!resolved.ok) expect(resolved.message).toContain(c.message);
  });
});

/** Each path is valid in shape for every provider once prefixed with that provider's sample. */
const TRAVERSALS = [
  '../../other-account/ai/run/x',
  '%2e%2e/%2E%2E/secrets',
  'x/.%2e/y',
  'x/%2e/y',
  'x/..%2f..%2fadmin',
  'x/%252e%252e/y',
  'x\\..\\y',
  'x/%5c%5cevil.com/y',
  'x/%2525252e%2525252e/y',
];

describe.each(PROVIDER_SLUGS)('%s: the shared path checks', (slug) => {
  const adapter = getProvider(slug)!;
  // A prefix that passes the provider's own shape checks, so only the shared check can refuse.
  const sample = URL_CASES[slug]![0]!.path;
  const prefix = sample
    .split('/')
    .slice(0, slug === 'google-vertex-ai' ? 6 : 2)
    .join('/');

  it.each(TRAVERSALS)('refuses %s', (tail) => {
    const resolved = adapter.resolveUrl(request(`${prefix}/${tail}`));
    expect(resolved.ok).toBe(false);
    if (!resolved.ok) expect(resolved.message).toMatch(/^the provider path/);
  });

  it('refuses a path that starts with a slash', () => {
    expect(adapter.resolveUrl(request('/evil.com/v1/chat')).ok).toBe(false);
    expect(adapter.resolveUrl(request('//evil.com/v1/chat')).ok).toBe(false);
  });
});

describe('unsafePathReason', () => {
  it.each([
    'chat/completions',
    'v1beta/models/gemini-2.5-flash:generateContent',
    'model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke',
    '@cf/meta/llama-3.1-8b-instruct',
    'files/file-abc..def/content',
    'a/.well-known/b',
    '',
  ])('accepts %s', (path) => {
    expect(unsafePathReason(path)).toBeNull();
  });

  it.each([
    ['..', '"." or ".."'],
    ['a/./b', '"." or ".."'],
    ['a/%2E%2e', '"." or ".."'],
    ['a\\b', 'backslash'],
    ['%2f%2fevil.com/x', 'encoded "/"'],
    ['a/b\n', 'control characters'],
    ['%252525252e', 'too many times'],
  ])('refuses %s', (path, message) => {
    expect(unsafePathReason(path)).toContain(message);
  });
});

describe('workers-ai account id', () => {
  it('refuses an account id that could reshape the upstream path', () => {
    const resolved = getProvider('workers-ai')!.resolveUrl(request('@cf/x/y', { accountId: 'a/../b' }));
    expect(resolved.ok).toBe(false);
  });
});
