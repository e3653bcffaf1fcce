import { type BodyTransform, chatDialect, compatTransform } from '../compat/body-transform.ts';
import { messagesToChat } from '../compat/messages/request.ts';
import { messagesDialect } from '../compat/messages-dialect.ts';
import { parseChatRequest } from '../compat/openai-request.ts';
import { anthropicTarget } from '../compat/targets/anthropic.ts';
import { bedrockTarget } from '../compat/targets/bedrock.ts';
import { cohereTarget } from '../compat/targets/cohere.ts';
import { geminiTarget } from '../compat/targets/gemini/index.ts';
import { openAiFormatTarget } from '../compat/targets/openai.ts';
import { type ChatRequest, type ChatTarget, CompatError, type ResponseContext } from '../compat/types.ts';
import type { PriceTable } from '../costs/prices.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ServiceAccount } from '../keys/google-service-account.ts';
import { explainDepth, MAX_JSON_DEPTH } from '../util/json-depth.ts';
import { own } from '../util/own.ts';
import {
  bedrockRegion,
  headerIndex,
  moveCredential,
  vertexAccount,
  vertexTarget,
} from './compat-credentials.ts';
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

/**
 * Providers reached through translation: the OpenAI request becomes their native one, and their
 * answer becomes OpenAI's on the way back (src/compat/).
 */
const TRANSLATED: Record<string, ChatTarget> = {
  anthropic: anthropicTarget,
  'google-ai-studio': geminiTarget('google-ai-studio', 'v1beta/models/'),
  'aws-bedrock': bedrockTarget,
  cohere: cohereTarget,
};

/** Whether `/compat` serves this provider slug. */
export function servedOnCompat(slug: string): boolean {
  return prefixFor(slug) !== undefined || Object.hasOwn(TRANSLATED, slug) || slug === 'google-vertex-ai';
}

/** Custom providers are OpenAI-compatible by convention: their base URL includes the version. */
function prefixFor(slug: string): string | undefined {
  if (slug.startsWith('custom-')) return '';
  // Workers AI serves the OpenAI API at `/ai/v1/…`.
  if (slug === 'workers-ai') return 'v1/';
  return own(OPENAI_FORMAT, slug);
}

function servedList(): string {
  return [...Object.keys(OPENAI_FORMAT), 'workers-ai', ...Object.keys(TRANSLATED), 'custom-{slug}'].join(
    ', ',
  );
}

/** What a translated compat request needs after the upstream answers. */
export interface CompatTranslation {
  /** The model as the client named it (`"anthropic/claude-sonnet-4-5"`). */
  askedModel: string;
  /** A fresh rewriter of the answer, one per attempt. */
  transform(): BodyTransform;
}

export interface NativeCompatRequest {
  route: DataPlaneRoute;
  body: Buffer;
  /** `body` as the object it was serialized from, so the pipeline does not parse it again. */
  json: Record<string, unknown>;
  model: string;
  translation?: CompatTranslation | undefined;
  /** Vertex AI: the service account whose access token replaces the bearer value before sending. */
  serviceAccount?: ServiceAccount | undefined;
}

/** The `{provider}/{model}` split of a compat model string, or a 400 that shows the form. */
export function splitModel(model: unknown): { slug: string; native: string; full: string } {
  if (typeof model !== 'string') {
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
  if (!servedOnCompat(slug)) {
    throw new GatewayError(
      'invalidProvider',
      `"${slug.slice(0, 64)}" is not served on /compat; it serves ${servedList()}`,
    );
  }
  return { slug, native, full: model };
}

function parseJsonBody(body: Buffer, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('invalidBody', `compat requests are JSON bodies in the ${what} format`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GatewayError('invalidBody', `compat requests are JSON objects in the ${what} format`);
  }
  return json as Record<string, unknown>;
}

/**
 * `POST /v1/{account}/{gateway}/compat/{chat/completions|embeddings}` with `model: "{provider}/{model}"`:
 * the native route and body it becomes. OpenAI-format providers get the body with the model
 * rewritten; the others get it translated, with a `translation` that rewrites their answer.
 * `headers` (the forwarded request headers) are changed in place where the provider wants its
 * credential elsewhere.
 */
export function compatToNative(
  route: DataPlaneRoute,
  body: Buffer,
  headers: string[],
  requestId: string,
  allowHosts: readonly string[] = [],
): NativeCompatRequest {
  try {
    return toNative(route, body, headers, requestId, allowHosts);
  } catch (err) {
    throw explainDepth(
      err,
      body.toString('utf8'),
      (depth) =>
        new GatewayError(
          'invalidBody',
          `the JSON body nests ${depth} levels deep, too deep to translate; compat takes bodies under ${MAX_JSON_DEPTH} levels`,
        ),
    );
  }
}

function toNative(
  route: DataPlaneRoute,
  body: Buffer,
  headers: string[],
  requestId: string,
  allowHosts: readonly string[],
): NativeCompatRequest {
  if (route.path === 'v1/messages') return messagesToNative(route, body, headers, requestId, allowHosts);
  if (!ENDPOINTS.has(route.path)) {
    throw new GatewayError(
      'invalidPath',
      `compat serves chat/completions, embeddings and v1/messages; got "${route.path.slice(0, 100)}"`,
    );
  }
  const json = parseJsonBody(body, 'OpenAI');
  const { slug, native, full } = splitModel(json['model']);
  const prefix = prefixFor(slug);
  if (prefix !== undefined) {
    json['model'] = native;
    return {
      route: { ...route, provider: slug, path: prefix + route.path },
      body: Buffer.from(JSON.stringify(json)),
      json,
      model: native,
    };
  }
  if (route.path !== 'chat/completions') {
    throw new GatewayError(
      'invalidPath',
      `compat serves embeddings for OpenAI-format providers and workers-ai; ${slug} is served on chat/completions`,
    );
  }
  const account = slug === 'google-vertex-ai' ? vertexAccount(headers, allowHosts) : undefined;
  const target = account ? vertexTarget(account) : TRANSLATED[slug]!;
  const chat = parseWith(() => parseChatRequest({ ...json, model: native }));
  const { path, body: nativeBody } = translateRequest(slug, target, chat, headers);
  const ctx = responseContext(requestId, full, chat);
  return {
    route: { ...route, provider: slug, path },
    body: Buffer.from(JSON.stringify(nativeBody)),
    json: nativeBody,
    model: native,
    translation: { askedModel: full, transform: () => compatTransform(target, ctx, chatDialect) },
    serviceAccount: account,
  };
}

/**
 * `POST /compat/v1/messages`: Anthropic's Messages format in, for any provider. Anthropic itself
 * gets the body with the model rewritten; every other provider gets it as an OpenAI chat request
 * (translated further to its own format where needed), and its answer comes back as Anthropic's.
 */
function messagesToNative(
  route: DataPlaneRoute,
  body: Buffer,
  headers: string[],
  requestId: string,
  allowHosts: readonly string[],
): NativeCompatRequest {
  const json = parseJsonBody(body, 'Anthropic Messages');
  const { slug, native, full } = splitModel(json['model']);
  if (slug === 'anthropic') {
    moveCredential(headers, slug);
    json['model'] = native;
    return {
      route: { ...route, provider: slug, path: 'v1/messages' },
      body: Buffer.from(JSON.stringify(json)),
      json,
      model: native,
    };
  }
  const { chat } = parseWith(() => messagesToChat(json));
  chat.model = native;
  // The Anthropic SDK's `apiKey` travels as `x-api-key`; the target wants it as its own credential.
  const key = headerIndex(headers, 'x-api-key');
  if (key >= 0) {
    const value = headers[key + 1]!;
    headers.splice(key, 2);
    if (headerIndex(headers, 'authorization') < 0) headers.push('authorization', `Bearer ${value}`);
  }
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase().startsWith('anthropic-')) headers.splice(i, 2);
  }
  const prefix = prefixFor(slug);
  const account = slug === 'google-vertex-ai' ? vertexAccount(headers, allowHosts) : undefined;
  const target =
    prefix !== undefined
      ? openAiFormatTarget(slug, prefix)
      : account
        ? vertexTarget(account)
        : TRANSLATED[slug]!;
  const { path, body: nativeBody } = translateRequest(slug, target, chat, headers);
  const ctx = responseContext(requestId, full, chat);
  return {
    route: { ...route, provider: slug, path },
    body: Buffer.from(JSON.stringify(nativeBody)),
    json: nativeBody,
    model: native,
    translation: {
      askedModel: full,
      transform: () => compatTransform(target, ctx, messagesDialect(full, `msg_${requestId}`)),
    },
    serviceAccount: account,
  };
}

/** The provider's own request for a chat request, its credential moved where it expects it. */
function translateRequest(
  slug: string,
  target: ChatTarget,
  chat: ChatRequest,
  headers: string[],
): { path: string; body: Record<string, unknown> } {
  const translated = parseWith(() => target.request(chat));
  moveCredential(headers, slug);
  // Bedrock's region is part of the gateway path (`bedrock-runtime/{region}/…`).
  const path =
    slug === 'aws-bedrock' ? `bedrock-runtime/${bedrockRegion(headers)}/${translated.path}` : translated.path;
  return { path, body: translated.body };
}

function responseContext(requestId: string, askedModel: string, chat: ChatRequest): ResponseContext {
  return {
    id: `chatcmpl-${requestId}`,
    created: Math.floor(Date.now() / 1000),
    model: askedModel,
    includeUsage: chat.stream_options?.include_usage === true,
    request: chat,
  };
}

/** A translation refusal is the client's mistake: a 400 with the translator's own words. */
function parseWith<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CompatError) throw new GatewayError('invalidBody', err.message);
    throw err;
  }
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
