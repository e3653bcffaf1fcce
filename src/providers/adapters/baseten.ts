import { openAiCompatible } from '../openai-compatible.ts';

/**
 * Baseten Model APIs (`v1/chat/completions`, OpenAI-compatible). Dedicated deployments live on
 * per-model hosts (`model-{id}.api.baseten.co`); the gateway's `model/{model_id}` form for them is not
 * mapped here: point the operator base URL override at such a host instead.
 */
export const baseten = openAiCompatible({
  slug: 'baseten',
  name: 'Baseten',
  defaultBaseUrl: 'https://inference.baseten.co',
});
