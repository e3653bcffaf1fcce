import type { StreamReader } from '../types.ts';
import { openAiErrorFrame } from './error-frames.ts';

/**
 * A reader for endpoints that speak more than one stream dialect behind one slug (Vertex serves
 * Gemini and Anthropic models, Bedrock Mantle serves OpenAI and Anthropic). The first event picks
 * the dialect; every event then goes to that reader.
 */
export function createSniffingReader(choose: (event: string, data: string) => StreamReader): StreamReader {
  let chosen: StreamReader | undefined;
  return {
    onEvent(event, data) {
      chosen ??= choose(event, data);
      chosen.onEvent(event, data);
    },
    result() {
      return chosen ? chosen.result() : { model: null, usage: null, error: null };
    },
    errorFrame(message) {
      return chosen?.errorFrame ? chosen.errorFrame(message) : openAiErrorFrame(message);
    },
  };
}
