import { openAiCompatible, openAiUsage, readOpenAiJson } from '../openai-compatible.ts';
import { joinUrl } from '../shared/path.ts';
import { decodeSegment, errorText, modelFromBody, record } from '../shared/values.ts';
import type { ResolvedUrl, ResponseFacts, UpstreamRequest } from '../types.ts';

const DEFAULT_BASE = 'https://api.cloudflare.com/client/v4/accounts/{account_id}/ai';
/** Account ids go into the upstream path; the router already restricts them to this. */
const ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;
/** A model id (`@cf/meta/llama-3.1-8b-instruct`, `@hf/…`), `@` possibly percent-encoded. */
const MODEL_ID = /^(?:@|%40)(?:cf|hf)\//i;

/**
 * `@cf/…` and `@hf/…` → `{base}/run/{model}`; `v1/…` (OpenAI-compatible) and anything else stay as
 * they are. An override may contain `{account_id}`, filled in like the default.
 */
function resolveWorkersAiUrl(r: UpstreamRequest): ResolvedUrl {
  if (!ACCOUNT.test(r.accountId)) {
    return { ok: false, message: 'workers-ai needs an account id of letters, digits, "_" and "-"' };
  }
  const base = (r.baseUrl ?? DEFAULT_BASE).replace('{account_id}', r.accountId);
  return joinUrl(base, MODEL_ID.test(r.path) ? `run/${r.path}` : r.path, r.search);
}

/**
 * Native responses wrap the result: `{result: {response, usage}, success, errors}`; the `v1/`
 * routes answer in OpenAI's shape. Native streams (`data: {"response": "…"}`, usage in a late
 * chunk, `data: [DONE]`) read with the shared OpenAI stream reader.
 */
function readWorkersAiJson(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b || !('result' in b || 'success' in b)) return readOpenAiJson(body);
  const errors = Array.isArray(b['errors']) ? b['errors'] : [];
  return {
    model: null,
    usage: openAiUsage(record(b['result'])?.['usage']),
    error: b['success'] === false ? (errorText(errors[0]) ?? 'error') : null,
  };
}

export const workersAi = openAiCompatible({
  slug: 'workers-ai',
  name: 'Workers AI',
  defaultBaseUrl: DEFAULT_BASE,
  resolveUrl: resolveWorkersAiUrl,
  modelFromRequest(path, body) {
    const model = path.startsWith('run/') ? path.slice(4) : path;
    return MODEL_ID.test(model) ? decodeSegment(model) : modelFromBody(body);
  },
  readJson: readWorkersAiJson,
});
