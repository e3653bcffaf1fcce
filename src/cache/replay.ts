import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type BodyTransform, endTransformed, writeTransformedHead } from '../compat/body-transform.ts';
import type { CachedResponse } from './types.ts';

/**
 * Answers from the cache: the stored head and body. A stream keeps the framing it was recorded
 * with (its body is the frames' bytes back to back) and is sent chunked, as the provider sent it.
 * A `/compat` hit is stored as the provider answered and rewritten for the client like a miss.
 */
export function replay(
  res: ServerResponse,
  entry: CachedResponse,
  extraHeaders: OutgoingHttpHeaders,
  transform?: BodyTransform,
): void {
  const headers: OutgoingHttpHeaders = { ...entry.headers, ...extraHeaders, 'cf-aig-cache-status': 'HIT' };
  if (transform) {
    writeTransformedHead(res, transform, entry.status, headers);
    const frames = entry.frames ?? [];
    let text = '';
    let start = 0;
    for (const end of [...frames, entry.body.length]) {
      if (end > start) text += transform.data(entry.body.subarray(start, end));
      start = end;
    }
    // One write at the end: a JSON answer's head may still change (see endTransformed).
    endTransformed(res, transform, text + transform.end());
    return;
  }
  if (!entry.frames) headers['content-length'] = entry.body.length;
  res.writeHead(entry.status, headers);
  // A stream too in one write: the replay is not paced, so its frames one write each cost a
  // syscall or a queued write record apiece (thousands for a long answer to a slow client).
  res.end(entry.body);
}
