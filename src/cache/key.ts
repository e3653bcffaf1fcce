import { createHash, hash } from 'node:crypto';

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
  // One buffer and one-shot hashing: a streaming Hash with an update per part cost twice as much.
  let head = '';
  const add = (v: string) => {
    head += `${Buffer.byteLength(v)}:${v}`;
  };
  add(parts.provider);
  add(parts.endpoint);
  add(parts.model ?? '');
  for (const c of parts.credentials) add(c);
  head += `${parts.body.length}:`;
  const prefix = Buffer.from(head, 'utf8');
  return hash('sha256', Buffer.concat([prefix, parts.body], prefix.length + parts.body.length), 'hex');
}

/** `cf-aig-cache-key` replaces the computed key; hashed too, so stored keys have one shape. */
export function customCacheKey(value: string): string {
  return createHash('sha256').update('cf-aig-cache-key\u0000').update(value).digest('hex');
}
