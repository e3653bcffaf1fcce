import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible. */
export const cerebras = openAiCompatible({
  slug: 'cerebras',
  name: 'Cerebras',
  defaultBaseUrl: 'https://api.cerebras.ai/v1',
});
