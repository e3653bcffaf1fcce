import { createDetectingStreamReader, readDetectedJson } from '../formats/detect.ts';
import { defineProvider } from '../shared/define.ts';
import type { ProviderAdapter } from '../types.ts';

/**
 * A custom provider (`custom-{slug}`, SPEC.md §12): `{base_url}/{path}`. Most are OpenAI-compatible;
 * bodies in Anthropic's or Gemini's shape are read too, since the base URL can point anywhere.
 * The credential header is whatever that upstream wants; these are the usual ones.
 */
export function createCustomProvider(slug: string, baseUrl: string): ProviderAdapter {
  const base = baseUrl.replace(/\/+$/, '');
  return defineProvider({
    slug,
    name: slug,
    defaultBaseUrl: base,
    authHeaders: ['authorization', 'x-api-key', 'api-key'],
    readJson: readDetectedJson,
    createStreamReader: createDetectingStreamReader,
  });
}
