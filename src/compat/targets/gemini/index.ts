import type { ChatTarget } from '../../types.ts';
import { buildRequest } from './request.ts';
import { translateResponse } from './response.ts';
import type { GeminiProvider } from './shared.ts';
import { streamTranslator } from './stream.ts';

/**
 * Google Gemini `generateContent` / `streamGenerateContent`, shared by AI Studio and Vertex AI:
 * both speak the same body, only the path before `{model}:` differs.
 */

/** The Gemini target; `pathPrefix` is what precedes `{model}:generateContent` for this provider. */
export function geminiTarget(provider: GeminiProvider, pathPrefix: string): ChatTarget {
  return {
    provider,
    request: (req) => buildRequest(req, provider, pathPrefix),
    response: (body, ctx) => translateResponse(body, ctx, provider),
    stream: (ctx) => streamTranslator(ctx, provider),
  };
}
