/**
 * Every built-in provider, one line each. Adding a provider: write `adapters/{slug}.ts`, add its
 * line here, add its row to the tables in `test/providers/registry.test.ts` (the structure test
 * fails until you do) and fixtures under `test/fixtures/providers/{slug}/`.
 */

import { own } from '../util/own.ts';
import { anthropic } from './adapters/anthropic.ts';
import { awsBedrock } from './adapters/aws-bedrock.ts';
import { azureOpenai } from './adapters/azure-openai.ts';
import { baseten } from './adapters/baseten.ts';
import { cartesia } from './adapters/cartesia.ts';
import { cerebras } from './adapters/cerebras.ts';
import { cohere } from './adapters/cohere.ts';
import { deepinfra } from './adapters/deepinfra.ts';
import { deepseek } from './adapters/deepseek.ts';
import { elevenlabs } from './adapters/elevenlabs.ts';
import { fal } from './adapters/fal.ts';
import { fireworks } from './adapters/fireworks.ts';
import { googleAiStudio } from './adapters/google-ai-studio.ts';
import { googleVertexAi } from './adapters/google-vertex-ai.ts';
import { grok } from './adapters/grok.ts';
import { groq } from './adapters/groq.ts';
import { huggingface } from './adapters/huggingface.ts';
import { ideogram } from './adapters/ideogram.ts';
import { mistral } from './adapters/mistral.ts';
import { ollama } from './adapters/ollama.ts';
import { openai } from './adapters/openai.ts';
import { openrouter } from './adapters/openrouter.ts';
import { parallel } from './adapters/parallel.ts';
import { perplexity } from './adapters/perplexity-ai.ts';
import { replicate } from './adapters/replicate.ts';
import { together } from './adapters/together.ts';
import { workersAi } from './adapters/workers-ai.ts';
import type { ProviderAdapter } from './types.ts';

export { createCustomProvider } from './adapters/custom.ts';

const ADAPTERS: readonly ProviderAdapter[] = [
  anthropic,
  awsBedrock,
  azureOpenai,
  baseten,
  cartesia,
  cerebras,
  cohere,
  deepinfra,
  deepseek,
  elevenlabs,
  fal,
  fireworks,
  googleAiStudio,
  googleVertexAi,
  grok,
  groq,
  huggingface,
  ideogram,
  mistral,
  ollama,
  openai,
  openrouter,
  parallel,
  perplexity,
  replicate,
  together,
  workersAi,
];

const BY_SLUG: Readonly<Record<string, ProviderAdapter>> = Object.freeze(
  Object.fromEntries(ADAPTERS.map((a) => [a.slug, a])),
);

/** The built-in slugs, sorted. */
export const PROVIDER_SLUGS: readonly string[] = Object.freeze(ADAPTERS.map((a) => a.slug).sort());

/** The built-in adapter for a slug; own keys only, so `constructor` or `__proto__` finds nothing. */
export function getProvider(slug: string): ProviderAdapter | undefined {
  return own(BY_SLUG, slug);
}
