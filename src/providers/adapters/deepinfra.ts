import { openAiCompatible } from '../openai-compatible.ts';

/** DeepInfra's OpenAI-compatible surface. */
export const deepinfra = openAiCompatible({
  slug: 'deepinfra',
  name: 'DeepInfra',
  defaultBaseUrl: 'https://api.deepinfra.com/v1/openai',
});
