import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader, readNothing } from '../shared/no-usage.ts';
import { modelFromBody, record, text } from '../shared/values.ts';

/** Parallel web research (`v1/tasks/runs`, `v1beta/search`): priced per run, not per token. */
export const parallel = defineProvider({
  slug: 'parallel',
  name: 'Parallel',
  defaultBaseUrl: 'https://api.parallel.ai',
  authHeaders: ['x-api-key'],
  // Task runs choose a `processor` (`base`, `core`, `pro`…), the closest thing to a model.
  modelFromRequest: (_path, body) => text(record(body)?.['processor']) ?? modelFromBody(body),
  readJson: readNothing,
  createStreamReader: createNullStreamReader,
});
