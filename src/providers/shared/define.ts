import type { ProviderAdapter, ResolvedUrl, ResponseFacts, StreamReader, UpstreamRequest } from '../types.ts';
import { baseUrlResolver } from './path.ts';
import { modelFromBody } from './values.ts';

/** What a provider file declares; the URL and model rules default to the common case. */
export interface ProviderDefinition {
  slug: string;
  name: string;
  defaultBaseUrl: string;
  authHeaders: readonly string[];
  readJson(body: unknown): ResponseFacts;
  createStreamReader(): StreamReader;
  /** Default: `${baseUrl ?? defaultBaseUrl}/${path}${search}`. */
  resolveUrl?(request: UpstreamRequest): ResolvedUrl;
  /** Default: the body's `model` field. */
  modelFromRequest?(path: string, body: unknown): string | null;
}

/** A frozen adapter: adapters are shared by every request, so nothing may change them. */
export function defineProvider(def: ProviderDefinition): ProviderAdapter {
  return Object.freeze({
    slug: def.slug,
    name: def.name,
    defaultBaseUrl: def.defaultBaseUrl,
    authHeaders: Object.freeze([...def.authHeaders]),
    resolveUrl: def.resolveUrl ?? baseUrlResolver(def.defaultBaseUrl),
    modelFromRequest: def.modelFromRequest ?? ((_path: string, body: unknown) => modelFromBody(body)),
    readJson: def.readJson,
    createStreamReader: def.createStreamReader,
  });
}
