import { openAiCompatible } from '../openai-compatible.ts';

/** OpenAI-compatible; cache reads come as `prompt_cache_hit_tokens`, read by the shared base. */
export const deepseek = openAiCompatible({
  slug: 'deepseek',
  name: 'DeepSeek',
  defaultBaseUrl: 'https://api.deepseek.com',
});
