import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader, readNothing } from '../shared/no-usage.ts';
import { decodeSegment } from '../shared/values.ts';

/**
 * fal.ai: the path is the app id (`fal-ai/fast-sdxl`), which is also the model. Images out, no
 * token usage. The `x-fal-target-url` header, which Cloudflare honours to reach other fal hosts
 * (`queue.fal.run`), is not supported: it would let a client pick any upstream URL.
 */
export const fal = defineProvider({
  slug: 'fal',
  name: 'fal.ai',
  defaultBaseUrl: 'https://fal.run',
  authHeaders: ['authorization'],
  modelFromRequest(path) {
    const [owner, app] = path.split('/');
    return owner && app ? decodeSegment(`${owner}/${app}`) : null;
  },
  readJson: readNothing,
  createStreamReader: createNullStreamReader,
});
