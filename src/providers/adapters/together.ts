import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible. */
export const together = openAiCompatible({
  slug: 'together',
  name: 'Together AI',
  defaultBaseUrl: 'https://api.together.xyz/v1',
});
