import { createCohereStreamReader, readCohereJson } from '../formats/cohere.ts';
import { defineProvider } from '../shared/define.ts';

/**
 * Cohere. The gateway path carries the API version (`v1/chat`, `v2/chat`, `v2/embed`), so the base
 * is the API root; Cloudflare's page says `https://api.cohere.ai/v1` but its example calls
 * `/cohere/v1/chat`, and only the root serves both v1 and v2.
 */
export const cohere = defineProvider({
  slug: 'cohere',
  name: 'Cohere',
  defaultBaseUrl: 'https://api.cohere.ai',
  authHeaders: ['authorization'],
  readJson: readCohereJson,
  createStreamReader: createCohereStreamReader,
});
