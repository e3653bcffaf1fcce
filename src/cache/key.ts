import { createHash } from 'node:crypto';

export interface KeyParts {
  provider: string;
  /** The provider path and query, as forwarded. */
  endpoint: string;
  /** The model when the URL carries it (Google, Azure, Bedrock, Workers AI); a body's model is in the body hash. */
  model: string | null;
  /** The values of the provider's credential headers, in the adapter's order ('' when absent). */
  credentials: string[];
  body: Buffer;
}

/**
 * SPEC.md §5: SHA-256 over provider, endpoint, model, the provider credential and the whole body.
 * Each part is length-prefixed so no two different requests can concatenate to the same input.
 * Only the digest is stored: the credential never appears in a stored key.
 */
export function cacheKey(parts: KeyParts): string {
  const h = createHash('sha256');
  const add = (v: string | Buffer) => {
    h.update(`${typeof v === 'string' ? Buffer.byteLength(v) : v.length}:`);
    h.update(v);
  };
  add(parts.provider);
  add(parts.endpoint);
  add(parts.model ?? '');
  for (const c of parts.credentials) add(c);
  add(parts.body);
  return h.digest('hex');
}

/** `cf-aig-cache-key` replaces the computed key; hashed too, so stored keys have one shape. */
export function customCacheKey(value: string): string {
  return createHash('sha256').update('cf-aig-cache-key\u0000').update(value).digest('hex');
}
