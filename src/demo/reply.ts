import { randomBytes } from 'node:crypto';

/**
 * The demo provider's "model": a canned reply chosen deterministically from the prompt, token
 * counts estimated at ~4 characters per token, provider-looking ids, and a little latency.
 */

const REPLIES = [
  'Gatehouse sits between your app and the model provider, adding logs, caching, rate limits and retries.',
  'A cache hit is served from the gateway in a millisecond or two, without calling the provider at all.',
  'Two, three, five and seven are the prime numbers below ten.',
  'Hello! This answer comes from the Gatehouse demo provider, so no API key was needed.',
  'Streaming sends the reply token by token, so the first words arrive long before the last ones.',
  'Every request through the gateway is logged with its model, status, latency and token usage.',
];

export interface Reply {
  /** The full reply, or its first `maxTokens` tokens. */
  text: string;
  /** The reply, cut into stream deltas of about one token each. */
  pieces: string[];
  inputTokens: number;
  outputTokens: number;
  /** The reply was cut short by `maxTokens`. */
  truncated: boolean;
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** The text of a message's content: a string, or an array of `{type:'text', text}` blocks. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) =>
      typeof block === 'object' && block !== null && 'text' in block && typeof block.text === 'string'
        ? block.text
        : '',
    )
    .join('');
}

/**
 * Picks the reply for a prompt. `messageCount` adds the few tokens of framing real tokenizers
 * count per message.
 */
export function makeReply(prompt: string, messageCount: number, maxTokens?: number): Reply {
  const full = REPLIES[hash(prompt) % REPLIES.length]!;
  // Deltas like a real tokenizer's: a word with its leading space, punctuation on its own.
  let pieces: string[] = full.match(/\s*[\w']+|\s*[^\w\s]+/g) ?? [full];
  let truncated = false;
  if (maxTokens !== undefined && maxTokens > 0 && pieces.length > maxTokens) {
    pieces = pieces.slice(0, maxTokens);
    truncated = true;
  }
  const text = pieces.join('');
  return {
    text,
    pieces,
    inputTokens: estimateTokens(prompt) + 3 * Math.max(1, messageCount),
    outputTokens: truncated ? pieces.length : estimateTokens(text),
    truncated,
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id body like the providers' (`chatcmpl-…`, `msg_01…`). */
export function randomId(length: number): string {
  let id = '';
  for (const byte of randomBytes(length)) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Time to first byte: 20-80 ms, like a fast hosted model. */
export const firstByteDelay = () => sleep(20 + Math.floor(Math.random() * 60));

/** Time between stream frames. */
export const FRAME_GAP_MS = 10;
