import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/providers/registry.ts';
import { MODEL_CASES } from './model-cases.ts';

describe.each(Object.entries(MODEL_CASES))('%s: the model a request is for', (slug, cases) => {
  it.each(cases.map((c) => [c.path, c] as const))('%s', (_path, c) => {
    expect(getProvider(slug)!.modelFromRequest(c.path, c.body)).toBe(c.model);
  });
});

describe('model from an unexpected body', () => {
  it('reads nothing from bodies that are not objects or name no string model', () => {
    const openai = getProvider('openai')!;
    for (const body of [undefined, null, 'gpt-4o', 42, ['gpt-4o'], { model: 4 }, { model: '' }]) {
      expect(openai.modelFromRequest('chat/completions', body)).toBeNull();
    }
  });
});
