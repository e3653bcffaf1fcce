import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type BodyTransform, endTransformed, writeTransformedHead } from '../compat/body-transform.ts';
import type { CachedResponse } from './types.ts';

/**
 * Answers from the cache: the stored head and body, a stream frame by frame as it was recorded.
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
    let start = 0;
    for (const end of [...frames, entry.body.length]) {
      // Nothing yet (a JSON answer is rewritten at the end) writes nothing: even an empty write
      // sends the head, and its status may still change.
      const text = end > start ? transform.data(entry.body.subarray(start, end)) : '';
      if (text.length > 0) res.write(text);
      start = end;
    }
    endTransformed(res, transform, transform.end());
    return;
  }
  if (!entry.frames) {
    headers['content-length'] = entry.body.length;
    res.writeHead(entry.status, headers);
    res.end(entry.body);
    return;
  }
  res.writeHead(entry.status, headers);
  let start = 0;
  for (const end of entry.frames) {
    res.write(entry.body.subarray(start, end));
    start = end;
  }
  if (start < entry.body.length) res.write(entry.body.subarray(start));
  res.end();
}
