/**
 * Resolves after the event loop has run what is waiting (I/O callbacks included), so a long
 * computation on the request thread can let requests through between its parts.
 */
export function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
