/**
 * URL safety for everything a client puts after `/{provider}/`. The gateway splices that path onto
 * a base URL, so a path must never climb out of the base (`..`), change the host (`//`, `\`,
 * which the WHATWG URL parser treats as `/`), or smuggle either past us percent-encoded.
 */
import type { ResolvedUrl, UpstreamRequest } from '../types.ts';

/** `.`, `/`, `\` and `%` percent-encoded, any case; `%25` lets `%252e` become `%2e` on a second pass. */
const ENCODED = /%(?:2e|2f|5c|25)/gi;
const DECODED: Record<string, string> = { '2e': '.', '2f': '/', '5c': '\\', '25': '%' };
/** Double encoding is undone up to this depth; deeper nesting is rejected outright. */
const MAX_DECODE_PASSES = 3;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a provider path cannot be forwarded, or null when it is safe to append to a base URL. */
export function unsafePathReason(path: string): string | null {
  if (path.startsWith('/')) return 'the provider path must not start with "/" (no empty first segment)';
  if (CONTROL.test(path)) return 'the provider path must not contain control characters';
  let plain = path;
  for (let pass = 0; ; pass++) {
    const next = plain.replace(ENCODED, (m) => DECODED[m.slice(1).toLowerCase()] ?? m);
    if (next === plain) break;
    if (pass === MAX_DECODE_PASSES) return 'the provider path is percent-encoded too many times';
    plain = next;
  }
  if (plain.includes('\\')) return 'the provider path must not contain a backslash';
  if (plain.startsWith('/')) return 'the provider path must not start with an encoded "/"';
  for (const segment of plain.split('/')) {
    if (segment === '.' || segment === '..') {
      return 'the provider path must not contain "." or ".." segments (raw or percent-encoded)';
    }
  }
  return null;
}

/** `${base}/${path}${search}`, after the path check: the one way every resolver builds a URL. */
export function joinUrl(base: string, path: string, search: string): ResolvedUrl {
  const reason = unsafePathReason(path);
  if (reason) return { ok: false, message: reason };
  return { ok: true, url: `${base}/${path}${search}` };
}

/** The resolver for providers whose upstream is one base URL. */
export function baseUrlResolver(defaultBaseUrl: string): (request: UpstreamRequest) => ResolvedUrl {
  return (r) => joinUrl(r.baseUrl ?? defaultBaseUrl, r.path, r.search);
}

/** One DNS label, as spliced into a hostname (Azure resource, AWS or Google region). */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Null when `value` is safe as one label of a hostname; otherwise a message naming the segment. */
export function hostLabelReason(value: string, segment: string): string | null {
  if (HOST_LABEL.test(value)) return null;
  return `${segment} "${value.slice(0, 64)}" is not valid: use 1 to 63 lower-case letters, digits and "-", not starting or ending with "-"`;
}

/** The first `n` segments of a path and the rest, or undefined when there are fewer than `n` + 1. */
export function splitSegments(path: string, n: number): { head: string[]; rest: string } | undefined {
  const head: string[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const slash = path.indexOf('/', start);
    if (slash === -1) return undefined;
    head.push(path.slice(start, slash));
    start = slash + 1;
  }
  return { head, rest: path.slice(start) };
}

/**
 * For providers whose documented base URL ends in `/v1` while their own examples put `v1/` in the
 * gateway path too (xAI, OpenRouter): both forms reach the same upstream URL, never `/v1/v1/`.
 */
export function versionedBaseResolver(defaultBaseUrl: string): (request: UpstreamRequest) => ResolvedUrl {
  return (r) => {
    const base = r.baseUrl ?? defaultBaseUrl;
    const path = base.endsWith('/v1') && r.path.startsWith('v1/') ? r.path.slice(3) : r.path;
    return joinUrl(base, path, r.search);
  };
}
