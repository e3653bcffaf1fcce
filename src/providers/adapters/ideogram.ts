import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader, readNothing } from '../shared/no-usage.ts';
import { modelFromBody, record, text } from '../shared/values.ts';

/** v3 routes name the model in the path (`v1/ideogram-v3/generate`, multipart body). */
const MODEL_PATH = /^v1\/(ideogram-[^/]+)\//;

/** Ideogram image generation: no token usage. Legacy routes take `image_request.model` in JSON. */
export const ideogram = defineProvider({
  slug: 'ideogram',
  name: 'Ideogram',
  defaultBaseUrl: 'https://api.ideogram.ai',
  authHeaders: ['api-key'],
  modelFromRequest(path, body) {
    const m = MODEL_PATH.exec(path);
    if (m?.[1]) return m[1];
    return text(record(record(body)?.['image_request'])?.['model']) ?? modelFromBody(body);
  },
  readJson: readNothing,
  createStreamReader: createNullStreamReader,
});
