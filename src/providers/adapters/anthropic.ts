import { createAnthropicStreamReader, readAnthropicJson } from '../formats/anthropic.ts';
import { defineProvider } from '../shared/define.ts';

/**
 * Anthropic Messages (`v1/messages`). The key travels as `x-api-key`; OAuth and some SDK setups
 * send `Authorization: Bearer` instead, so both are credentials.
 */
export const anthropic = defineProvider({
  slug: 'anthropic',
  name: 'Anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  authHeaders: ['x-api-key', 'authorization'],
  readJson: readAnthropicJson,
  createStreamReader: createAnthropicStreamReader,
});
