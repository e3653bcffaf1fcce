import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-shaped; the gateway path carries the version (`v1/chat/completions`), so the base does not. */
export const mistral = openAiCompatible({
  slug: 'mistral',
  name: 'Mistral AI',
  defaultBaseUrl: 'https://api.mistral.ai',
});
