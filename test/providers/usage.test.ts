import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/providers/registry.ts';
import { fixtureExists, readFixture } from './fixtures.ts';
import { SHARED_FIXTURES, USAGE_CASES } from './usage-cases.ts';

describe.each(Object.entries(USAGE_CASES))('%s: facts from recorded responses', (slug, cases) => {
  const adapter = getProvider(slug)!;

  it.each(cases.map((c) => [c.fixture, c] as const))('%s', (_name, c) => {
    expect(readFixture(adapter, c.fixture)).toEqual(c.expected);
  });

  const streams = cases.filter((c) => c.fixture.endsWith('.sse'));
  if (streams.length > 0) {
    it.each(streams.map((c) => [c.fixture, c] as const))('%s, cut into 7-character pieces', (_name, c) => {
      expect(readFixture(adapter, c.fixture, 7)).toEqual(c.expected);
    });
  }
});

describe('fixtures recorded by the fixture owner', () => {
  for (const [file, { slug, hasOutput }] of Object.entries(SHARED_FIXTURES)) {
    // Skipped, not passed, until the file is recorded.
    it.skipIf(!fixtureExists(file))(`${file} yields a model and usage`, () => {
      const adapter = getProvider(slug)!;
      const facts = readFixture(adapter, file);
      expect(facts.error).toBeNull();
      expect(facts.model).toEqual(expect.any(String));
      expect(facts.usage?.tokensIn).toBeGreaterThan(0);
      if (hasOutput) expect(facts.usage?.tokensOut).toBeGreaterThan(0);
      expect(readFixture(adapter, file, 5)).toEqual(facts);
    });
  }
});
