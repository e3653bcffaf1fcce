import { defineProvider } from '../shared/define.ts';
import { createNullStreamReader } from '../shared/no-usage.ts';
import { makeUsage } from '../shared/usage.ts';
import { count, decodeSegment, errorText, modelFromBody, record, text } from '../shared/values.ts';
import type { ResponseFacts } from '../types.ts';

/**
 * A prediction object: `model` is `{owner}/{name}`; language models report
 * `metrics.input_token_count` / `output_token_count` once the prediction has finished. Replicate's
 * streams (`event: output` / `done`) carry no usage.
 */
function readPrediction(body: unknown): ResponseFacts {
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  const metrics = record(b['metrics']);
  return {
    model: text(b['model']),
    usage: makeUsage({
      tokensIn: count(metrics?.['input_token_count']),
      tokensOut: count(metrics?.['output_token_count']),
    }),
    error: b['status'] === 'failed' ? (errorText(b['error']) ?? 'prediction failed') : null,
  };
}

/** `models/{owner}/{name}/predictions` names the model; otherwise the body may (`version` is a hash). */
const MODEL_PATH = /^models\/([^/]+\/[^/]+)\/predictions/;

export const replicate = defineProvider({
  slug: 'replicate',
  name: 'Replicate',
  defaultBaseUrl: 'https://api.replicate.com/v1',
  authHeaders: ['authorization'],
  modelFromRequest(path, body) {
    const m = MODEL_PATH.exec(path);
    return m?.[1] ? decodeSegment(m[1]) : modelFromBody(body);
  },
  readJson: readPrediction,
  createStreamReader: createNullStreamReader,
});
