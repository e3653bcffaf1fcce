import { openAiCompatible } from '../openai-compatible.ts';
import { versionedBaseResolver } from '../shared/path.ts';

/** OpenRouter; like xAI, documented both with and without `v1/` in the gateway path. */
export const openrouter = openAiCompatible({
  slug: 'openrouter',
  name: 'OpenRouter',
  defaultBaseUrl: 'https://openrouter.ai/api/v1',
  resolveUrl: versionedBaseResolver('https://openrouter.ai/api/v1'),
});
