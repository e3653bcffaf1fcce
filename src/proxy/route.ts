/** The parts of a data-plane URL: `/v1/{account}/{gateway}[/{provider}/{path…}]`. */
export interface DataPlaneRoute {
  accountId: string;
  gatewayId: string;
  /** Absent for the universal endpoint `/v1/{account}/{gateway}`. */
  provider: string | undefined;
  /** After `/{provider}/`, still percent-encoded, without leading slash. */
  path: string;
  /** '?…' or ''. */
  search: string;
}

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses the raw request URL without decoding the provider path, so it is forwarded byte for byte. */
export function parseDataPlaneUrl(url: string): DataPlaneRoute | undefined {
  if (!url.startsWith('/v1/')) return undefined;
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  const a = pathname.indexOf('/', 4);
  if (a === -1) return undefined;
  const accountId = pathname.slice(4, a);
  const b = pathname.indexOf('/', a + 1);
  const gatewayId = b === -1 ? pathname.slice(a + 1) : pathname.slice(a + 1, b);
  if (!SEGMENT.test(accountId) || !SEGMENT.test(gatewayId)) return undefined;
  if (b === -1 || b === pathname.length - 1) {
    return { accountId, gatewayId, provider: undefined, path: '', search };
  }
  const c = pathname.indexOf('/', b + 1);
  const provider = c === -1 ? pathname.slice(b + 1) : pathname.slice(b + 1, c);
  const path = c === -1 ? '' : pathname.slice(c + 1);
  return { accountId, gatewayId, provider, path, search };
}
