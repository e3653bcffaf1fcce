import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CachedResponse } from './types.ts';

/** Answers from the cache: the stored head and body, a stream frame by frame as it was recorded. */
export function replay(res: ServerResponse, entry: CachedResponse, extraHeaders: OutgoingHttpHeaders): void {
  const headers: OutgoingHttpHeaders = { ...entry.headers, ...extraHeaders, 'cf-aig-cache-status': 'HIT' };
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
