import { openAiCompatible } from '../openai-compatible.ts';
import { hostLabelReason, joinUrl, splitSegments, unsafePathReason } from '../shared/path.ts';
import { decodeSegment, modelFromBody } from '../shared/values.ts';
import type { ResolvedUrl, UpstreamRequest } from '../types.ts';

const SHAPE =
  'azure-openai paths are {resource}/{deployment}/{operation}, e.g. my-resource/gpt-4o/chat/completions?api-version=2024-10-21';

/**
 * `{resource}/{deployment}/{rest}` → `https://{resource}.openai.azure.com/openai/deployments/{deployment}/{rest}`.
 * An operator override replaces `https://{resource}.openai.azure.com`; the rest of the mapping stays.
 */
function resolveAzureUrl(r: UpstreamRequest): ResolvedUrl {
  const unsafe = unsafePathReason(r.path);
  if (unsafe) return { ok: false, message: unsafe };
  const parts = splitSegments(r.path, 2);
  const [resource, deployment] = parts?.head ?? [];
  if (!parts || resource === undefined || !deployment || parts.rest === '')
    return { ok: false, message: SHAPE };
  const bad = hostLabelReason(resource, 'Azure resource name');
  if (bad) return { ok: false, message: bad };
  const origin = r.baseUrl ?? `https://${resource}.openai.azure.com`;
  return joinUrl(`${origin}/openai/deployments/${deployment}`, parts.rest, r.search);
}

/** Azure OpenAI: OpenAI's wire format; the deployment in the path stands for the model. */
export const azureOpenai = openAiCompatible({
  slug: 'azure-openai',
  name: 'Azure OpenAI',
  defaultBaseUrl: 'https://{resource}.openai.azure.com/openai/deployments/{deployment}',
  // `api-key` for keys, `Authorization: Bearer` for Entra ID tokens.
  authHeaders: ['api-key', 'authorization'],
  resolveUrl: resolveAzureUrl,
  modelFromRequest(path, body) {
    const deployment = path.split('/')[1];
    return modelFromBody(body) ?? (deployment ? decodeSegment(deployment) : null);
  },
});
