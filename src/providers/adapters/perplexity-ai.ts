import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible chat completions at the API root (`chat/completions`). */
export const perplexity = openAiCompatible({
  slug: 'perplexity-ai',
  name: 'Perplexity',
  defaultBaseUrl: 'https://api.perplexity.ai',
});
