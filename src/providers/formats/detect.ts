/**
 * For endpoints that answer in more than one wire format behind one slug: Vertex AI (Gemini,
 * Anthropic on `rawPredict`, OpenAI on `endpoints/openapi`), AI Studio (Gemini and its OpenAI
 * surface), Bedrock Mantle (OpenAI and Anthropic) and custom providers. The body says which.
 */
import { createOpenAiStreamReader, readOpenAiJson } from '../openai-compatible.ts';
import { createSniffingReader } from '../shared/sniff.ts';
import { record } from '../shared/values.ts';
import type { ResponseFacts, StreamReader } from '../types.ts';
import { createAnthropicStreamReader, isAnthropicFrame, readAnthropicJson } from './anthropic.ts';
import { createGeminiStreamReader, readGeminiJson } from './gemini.ts';

export function readDetectedJson(body: unknown): ResponseFacts {
  if (Array.isArray(body)) return readGeminiJson(body);
  const b = record(body);
  if (!b) return { model: null, usage: null, error: null };
  if (b['type'] === 'message' || (b['type'] === 'error' && record(b['error']))) return readAnthropicJson(b);
  if ('usageMetadata' in b || 'candidates' in b || 'modelVersion' in b) return readGeminiJson(b);
  return readOpenAiJson(b);
}

function isGeminiFrame(data: string): boolean {
  return data.includes('"candidates"') || data.includes('"usageMetadata"') || data.includes('"modelVersion"');
}

export function createDetectingStreamReader(): StreamReader {
  return createSniffingReader((event, data) => {
    if (isAnthropicFrame(event, data)) return createAnthropicStreamReader();
    if (isGeminiFrame(data)) return createGeminiStreamReader();
    return createOpenAiStreamReader();
  });
}
