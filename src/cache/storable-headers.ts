import type { IncomingHttpHeaders } from 'node:http';
import { responseHeaders } from '../http/headers.ts';

/** Headers about one exchange, not about the content: a replay must not repeat them. */
const PER_REQUEST = new Set([
  'date',
  'age',
  'set-cookie',
  'content-length',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'cf-ray',
  'retry-after',
  'server-timing',
  'x-envoy-upstream-service-time',
]);
const PER_REQUEST_PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-', 'cf-aig-'];

export function storableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const filtered = responseHeaders(headers);
  for (const name in filtered) {
    if (PER_REQUEST.has(name) || PER_REQUEST_PREFIXES.some((p) => name.startsWith(p))) continue;
    const v = filtered[name];
    if (typeof v === 'string' || Array.isArray(v)) out[name] = v;
    else if (typeof v === 'number') out[name] = String(v);
  }
  return out;
}
