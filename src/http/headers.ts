import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) are about one connection and never cross a proxy.
 * `proxy-connection` and `keep-alive` are the pre-standard ones still seen in the wild.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the gateway sets itself upstream: `host` and `content-length` follow the new
 * target and the buffered body, `expect` is answered by us, `accept-encoding` is replaced so
 * usage can be read from the body as it passes (see README "Compression").
 */
const SET_BY_GATEWAY = new Set(['host', 'content-length', 'expect', 'accept-encoding']);

function connectionTokens(value: string | undefined): Set<string> | undefined {
  // The common values name no extra headers; skip the split for them.
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return undefined;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()));
}

export interface SplitRequestHeaders {
  /** Flat [name, value, name, value…] for undici, original case and order kept. */
  forward: string[];
  /** The `cf-aig-*` (and legacy `cf-cache-ttl` / `cf-skip-cache`) headers, lower-case names. */
  gateway: Map<string, string>;
}

/** One pass over the raw headers: what goes upstream, and what is addressed to the gateway. */
export function splitRequestHeaders(rawHeaders: string[]): SplitRequestHeaders {
  let listed: Set<string> | undefined;
  const forward: string[] = [];
  const gateway = new Map<string, string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'connection') listed = connectionTokens(rawHeaders[i + 1]);
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (lower.startsWith('cf-')) {
      if (lower.startsWith('cf-aig-') || lower === 'cf-cache-ttl' || lower === 'cf-skip-cache') {
        // A repeated gateway header keeps its first value, like Node's own parsing does.
        if (!gateway.has(lower)) gateway.set(lower, value);
        continue;
      }
    }
    if (HOP_BY_HOP.has(lower) || SET_BY_GATEWAY.has(lower) || listed?.has(lower)) continue;
    forward.push(name, value);
  }
  forward.push('accept-encoding', 'identity');
  return { forward, gateway };
}

/** Upstream response headers minus hop-by-hop ones, ready for `res.writeHead`. */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(
    typeof headers['connection'] === 'string' ? headers['connection'] : undefined,
  );
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
