import { createDetectingStreamReader, readDetectedJson } from '../formats/detect.ts';
import { geminiModelFromPath } from '../formats/gemini.ts';
import { defineProvider } from '../shared/define.ts';
import { hostLabelReason, joinUrl, unsafePathReason } from '../shared/path.ts';
import { modelFromBody } from '../shared/values.ts';
import type { ResolvedUrl, UpstreamRequest } from '../types.ts';

/** The region is the host: `v1/projects/{project}/locations/{region}/…`. */
const LOCATION = /^v1(?:beta1)?\/projects\/[^/]+\/locations\/([^/]+)\//;

/**
 * `{region}-aiplatform.googleapis.com`, or `aiplatform.googleapis.com` for `global`. The path is
 * forwarded whole. An operator override replaces the scheme and host only.
 */
function resolveVertexUrl(r: UpstreamRequest): ResolvedUrl {
  const unsafe = unsafePathReason(r.path);
  if (unsafe) return { ok: false, message: unsafe };
  const region = LOCATION.exec(r.path)?.[1];
  if (region === undefined) {
    return {
      ok: false,
      message: 'google-vertex-ai paths start with v1/projects/{project}/locations/{region}/ (or v1beta1/…)',
    };
  }
  const bad = hostLabelReason(region, 'Vertex AI region');
  if (bad) return { ok: false, message: bad };
  const origin =
    r.baseUrl ??
    (region === 'global'
      ? 'https://aiplatform.googleapis.com'
      : `https://${region}-aiplatform.googleapis.com`);
  return joinUrl(origin, r.path, r.search);
}

/**
 * Vertex AI serves Gemini (`publishers/google/models/{m}:generateContent`), Anthropic models
 * (`publishers/anthropic/models/{m}:rawPredict`, Anthropic's body) and an OpenAI-compatible
 * surface (`endpoints/openapi/chat/completions`), so bodies are read by their shape.
 */
export const googleVertexAi = defineProvider({
  slug: 'google-vertex-ai',
  name: 'Google Vertex AI',
  defaultBaseUrl: 'https://{region}-aiplatform.googleapis.com',
  authHeaders: ['authorization'],
  resolveUrl: resolveVertexUrl,
  modelFromRequest: (path, body) => geminiModelFromPath(path) ?? modelFromBody(body),
  readJson: readDetectedJson,
  createStreamReader: createDetectingStreamReader,
});
