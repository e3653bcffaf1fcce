import { createDetectingStreamReader, readDetectedJson } from '../formats/detect.ts';
import { geminiModelFromPath } from '../formats/gemini.ts';
import { defineProvider } from '../shared/define.ts';
import { modelFromBody } from '../shared/values.ts';

/**
 * Google AI Studio (Gemini API): `v1beta/models/{model}:{method}`, plus its OpenAI-compatible
 * surface under `v1beta/openai/`, so bodies are read as Gemini or OpenAI by their shape.
 */
export const googleAiStudio = defineProvider({
  slug: 'google-ai-studio',
  name: 'Google AI Studio',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  // Google also accepts the key as a `?key=` query parameter, which is forwarded with the search
  // string; only headers are listed here.
  authHeaders: ['x-goog-api-key', 'authorization'],
  modelFromRequest: (path, body) => geminiModelFromPath(path) ?? modelFromBody(body),
  readJson: readDetectedJson,
  createStreamReader: createDetectingStreamReader,
});
