import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader, readNothing } from '../shared/no-usage.ts';
import { record, text } from '../shared/values.ts';

/** ElevenLabs speech: audio out, billed in characters, not tokens; the body names `model_id`. */
export const elevenlabs = defineProvider({
  slug: 'elevenlabs',
  name: 'ElevenLabs',
  defaultBaseUrl: 'https://api.elevenlabs.io',
  authHeaders: ['xi-api-key'],
  modelFromRequest: (_path, body) => text(record(body)?.['model_id']),
  readJson: readNothing,
  createStreamReader: createNullStreamReader,
});
