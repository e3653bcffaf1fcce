import { chatUsage } from '../../shared.ts';
import type { ChatUsage, FinishReason, ResponseContext } from '../../types.ts';

/** Types and helpers shared by the Gemini request, response and stream translators. */

export type GeminiProvider = 'google-ai-studio' | 'google-vertex-ai';

export type Part = Record<string, unknown>;
export interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

export interface Candidate {
  index?: number;
  content?: { parts?: Part[] };
  finishReason?: string;
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function candidatesOf(body: Record<string, unknown>): Candidate[] {
  return Array.isArray(body['candidates']) ? (body['candidates'] as Candidate[]) : [];
}

export function finishReason(reason: string, hasCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return hasCalls ? 'tool_calls' : 'stop';
}

export function usageOf(body: Record<string, unknown>): ChatUsage | undefined {
  const u = record(body['usageMetadata']);
  if (!u) return undefined;
  const num = (key: string): number | undefined =>
    typeof u[key] === 'number' ? (u[key] as number) : undefined;
  // Gemini counts thinking apart from the answer; OpenAI bills both as completion tokens.
  const thoughts = num('thoughtsTokenCount');
  const prompt = (num('promptTokenCount') ?? 0) + (num('toolUsePromptTokenCount') ?? 0);
  return chatUsage(
    prompt,
    (num('candidatesTokenCount') ?? 0) + (thoughts ?? 0),
    num('cachedContentTokenCount'),
    thoughts,
  );
}

export function callId(ctx: ResponseContext, choice: number, n: number): string {
  return `call_${ctx.id.replace(/^chatcmpl-/, '')}_${choice}_${n}`;
}

export function functionCallOf(part: Part): { name: string; args: unknown; id?: unknown } | undefined {
  const call = record(part['functionCall']);
  return call && typeof call['name'] === 'string'
    ? { name: call['name'], args: call['args'] ?? {}, id: call['id'] }
    : undefined;
}

export function blockedReason(body: Record<string, unknown>): string | undefined {
  const reason = record(body['promptFeedback'])?.['blockReason'];
  return typeof reason === 'string' ? reason : undefined;
}
