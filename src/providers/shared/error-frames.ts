/**
 * The last frame the gateway writes into a stream that broke after bytes reached the client:
 * an error in the stream's own dialect, so the client's SDK raises instead of returning a
 * truncated answer as if it were complete (the openai SDK throws on a `data:` frame carrying
 * `error`, the anthropic SDK on `event: error`, Google's on an `error` object).
 */

export function openAiErrorFrame(message: string): string {
  const error = { message, type: 'server_error', param: null, code: 'stream_interrupted' };
  return `data: ${JSON.stringify({ error })}\n\n`;
}

export function anthropicErrorFrame(message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`;
}

export function geminiErrorFrame(message: string): string {
  return `data: ${JSON.stringify({ error: { code: 502, message, status: 'UNAVAILABLE' } })}\n\n`;
}

export function cohereErrorFrame(message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { message } })}\n\n`;
}
