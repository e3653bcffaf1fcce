import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader, readNothing } from '../shared/no-usage.ts';
import { record, text } from '../shared/values.ts';

/**
 * Cartesia text-to-speech: audio out, no token usage; the voice model is `model_id` in the body.
 * Cloudflare's page names `https://api.cartesia.ai/v1` but Cartesia's routes have no version
 * prefix (`/tts/bytes`, versioned by the `Cartesia-Version` header), so the base is the API root.
 * Cartesia also accepts short-lived access tokens as `Authorization: Bearer`.
 */
export const cartesia = defineProvider({
  slug: 'cartesia',
  name: 'Cartesia',
  defaultBaseUrl: 'https://api.cartesia.ai',
  authHeaders: ['x-api-key', 'authorization'],
  modelFromRequest: (_path, body) => text(record(body)?.['model_id']),
  readJson: readNothing,
  createStreamReader: createNullStreamReader,
});
