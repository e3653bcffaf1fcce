/**
 * Tolerant readers for provider JSON. Provider bodies are untrusted and drift over time, so every
 * field is checked for its type and a wrong type reads as "not reported" rather than throwing.
 */
import type { ResponseFacts } from '../types.ts';

export type JsonObject = Record<string, unknown>;

export const NO_FACTS: ResponseFacts = Object.freeze({ model: null, usage: null, error: null });

/** Error texts go into logs; a provider can send megabytes, we keep a line. */
const MAX_ERROR_CHARS = 300;

export function record(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** A token count: a finite, non-negative number, or null. */
export function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** A non-empty string, or null (Azure sends `"model": ""` in its first stream chunk). */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The sum of the counts that were reported; null when none was. */
export function sum(...parts: Array<number | null>): number | null {
  let total: number | null = null;
  for (const p of parts) if (p !== null) total = (total ?? 0) + p;
  return total;
}

export function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * A short text for an error object as providers send it: `{message, type|status|code}` (OpenAI,
 * Anthropic, Google, OpenRouter) or a bare string. Null when there is no error.
 */
export function errorText(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value.slice(0, MAX_ERROR_CHARS);
  const e = record(value);
  if (!e) return null;
  const message = text(e['message']);
  const kind = errorKind(e);
  if (!message && !kind) return 'error';
  const line = message && kind ? `${kind}: ${message}` : (message ?? kind ?? 'error');
  return line.slice(0, MAX_ERROR_CHARS);
}

/**
 * The most telling label: a string `code` (`rate_limit_exceeded`), else `type` (`server_error`; a
 * bare `"error"` says nothing), else Google's `status` (`UNAVAILABLE`), else a numeric code.
 */
function errorKind(e: JsonObject): string | null {
  const type = text(e['type']);
  const code = e['code'];
  return (
    text(code) ??
    (type === 'error' ? null : type) ??
    text(e['status']) ??
    (typeof code === 'number' ? String(code) : null)
  );
}

/** `body.model` as most providers put it in the request. */
export function modelFromBody(body: unknown): string | null {
  return text(record(body)?.['model']);
}

/** Percent-decodes a path segment for display (a model id); a malformed escape is kept as sent. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
