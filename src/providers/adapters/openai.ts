import { openAiCompatible } from '../openai-compatible.ts';

/** Chat Completions, Responses, embeddings; gateway path `chat/completions` → `/v1/chat/completions`. */
export const openai = openAiCompatible({
  slug: 'openai',
  name: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
});
