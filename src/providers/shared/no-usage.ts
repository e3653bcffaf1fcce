/**
 * For providers whose responses carry no token counts (audio, images, search): nothing to read.
 * Their JSON errors come with 4xx statuses, which the status code already reports.
 */
import type { ResponseFacts, StreamReader } from '../types.ts';
import { NO_FACTS } from './values.ts';

export function readNothing(_body: unknown): ResponseFacts {
  return NO_FACTS;
}

export function createNullStreamReader(): StreamReader {
  return { onEvent() {}, result: () => NO_FACTS };
}
