/**
 * Small pieces the `/compat/v1/messages` translation shares: plain-object checks, Anthropic's stop
 * reason for an OpenAI finish reason, and OpenAI usage split the way Anthropic counts it.
 */
import type { ChatUsage, FinishReason } from '../types.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

const STOP_REASON: Record<FinishReason, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

/**
 * Some providers end a tool-calling turn with "stop"; Anthropic clients loop on `tool_use`, so
 * the calls themselves decide. (OpenAI does not say which stop sequence matched, so a stop
 * sequence also reads as `end_turn` with `stop_sequence: null`.)
 */
export function stopReason(finish: FinishReason | null, hadToolCalls: boolean): StopReason | null {
  if (finish === null) return null;
  if (finish === 'stop' && hadToolCalls) return 'tool_use';
  return STOP_REASON[finish] ?? 'end_turn';
}

/** OpenAI's prompt_tokens includes cached tokens; Anthropic's input_tokens excludes them. */
export function splitInput(usage: ChatUsage): { input: number; cached: number } {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return { input: Math.max(0, usage.prompt_tokens - cached), cached };
}
