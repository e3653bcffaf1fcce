import { openAiCompatible } from '../openai-compatible.ts';
import { versionedBaseResolver } from '../shared/path.ts';

/**
 * xAI. Cloudflare documents the base as `https://api.x.ai/v1` but its examples call
 * `/grok/v1/chat/completions`; both forms reach `https://api.x.ai/v1/chat/completions`.
 * Its `completion_tokens` excludes reasoning; the shared usage reader detects that from the totals.
 */
export const grok = openAiCompatible({
  slug: 'grok',
  name: 'xAI (Grok)',
  defaultBaseUrl: 'https://api.x.ai/v1',
  resolveUrl: versionedBaseResolver('https://api.x.ai/v1'),
});
