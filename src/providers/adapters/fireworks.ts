import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible. */
export const fireworks = openAiCompatible({
  slug: 'fireworks',
  name: 'Fireworks AI',
  defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
});
