import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible; streamed usage arrives in `x_groq.usage`, which the shared reader knows. */
export const groq = openAiCompatible({
  slug: 'groq',
  name: 'Groq',
  defaultBaseUrl: 'https://api.groq.com/openai/v1',
});
