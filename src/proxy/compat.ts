import type { PriceTable } from '../costs/prices.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { DataPlaneRoute } from './route.ts';

/**
 * Where each OpenAI-format provider serves the OpenAI API below its base URL. On
 * `/compat/chat/completions` and `/compat/embeddings` these pass through with only the model
 * rewritten (`"groq/llama-3.3-70b-versatile"` → `"llama-3.3-70b-versatile"`).
 */
const OPENAI_FORMAT: Record<string, string> = {
  openai: '',
  groq: '',
  cerebras: '',
  deepinfra: '',
  fireworks: '',
  grok: '',
  openrouter: '',
  together: '',
  deepseek: '',
  'perplexity-ai': '',
  mistral: 'v1/',
  baseten: 'v1/',
  ollama: 'v1/',
};

const ENDPOINTS = new Set(['chat/completions', 'embeddings']);

/** Whether `/compat` serves this provider slug. */
export function servedOnCompat(slug: string): boolean {
  return prefixFor(slug) !== undefined;
}

/** Custom providers are OpenAI-compatible by convention: their base URL includes the version. */
function prefixFor(slug: string): string | undefined {
  if (slug.startsWith('custom-')) return '';
  return OPENAI_FORMAT[slug];
}

/**
 * `POST /v1/{account}/{gateway}/compat/{chat/completions|embeddings}` with `model: "{provider}/{model}"`:
 * the native route and body it becomes. Providers that need translation (Anthropic, Gemini,
 * Bedrock, …) are not served here yet; asking for one is a 400 that says which are.
 */
export function compatToNative(
  route: DataPlaneRoute,
  body: Buffer,
): { route: DataPlaneRoute; body: Buffer; model: string } {
  if (!ENDPOINTS.has(route.path)) {
    throw new GatewayError(
      'invalidPath',
      `compat serves chat/completions and embeddings; got "${route.path.slice(0, 100)}"`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('invalidBody', 'compat requests are JSON bodies in the OpenAI format');
  }
  const model = (json as { model?: unknown } | null)?.model;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof model !== 'string') {
    throw new GatewayError(
      'invalidBody',
      'compat requests need "model": "{provider}/{model}", e.g. "openai/gpt-4o-mini"',
    );
  }
  const slash = model.indexOf('/');
  const slug = slash > 0 ? model.slice(0, slash) : '';
  const native = model.slice(slash + 1);
  if (!slug || !native) {
    throw new GatewayError(
      'invalidBody',
      `model must be "{provider}/{model}", e.g. "openai/gpt-4o-mini"; got "${model.slice(0, 100)}"`,
    );
  }
  const prefix = prefixFor(slug);
  if (prefix === undefined) {
    throw new GatewayError(
      'invalidProvider',
      `"${slug.slice(0, 64)}" is not served on /compat; it serves ${Object.keys(OPENAI_FORMAT).join(', ')} and custom-{slug}`,
    );
  }
  (json as { model: string }).model = native;
  return {
    route: { ...route, provider: slug, path: prefix + route.path },
    body: Buffer.from(JSON.stringify(json)),
    model: native,
  };
}

/**
 * `GET /compat/models` (and `/compat/v1/models`): the models `/compat` can reach that the price
 * table knows, in OpenAI's list shape, with their prices per token (`cost_in`, `cost_out`, as
 * community code reads them) and where each price came from.
 */
export function compatModels(prices: PriceTable): unknown {
  const data = prices
    .providers()
    .filter(servedOnCompat)
    .flatMap((provider) =>
      prices.entries(provider).map((e) => ({
        id: `${provider}/${e.id}`,
        object: 'model',
        created: Math.floor(Date.parse(e.effective_from) / 1000),
        owned_by: provider,
        cost_in: e.input / 1_000_000,
        cost_out: e.output / 1_000_000,
        ...(e.cache_read !== undefined ? { cost_cache_read: e.cache_read / 1_000_000 } : {}),
        price_effective_from: e.effective_from,
      })),
    );
  return { object: 'list', data };
}
