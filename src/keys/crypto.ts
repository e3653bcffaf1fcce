import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals a secret with AES-256-GCM: a fresh 96-bit IV per seal, the 128-bit tag, and `aad` naming
 * the row the secret belongs to, so a sealed value copied to another row fails to open.
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each base64url.
 */
export function sealSecret(masterKey: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, data, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Opens a sealed secret; a wrong key, another row's value or any tampering throws, saying no more. */
export function openSecret(masterKey: Buffer, sealed: string, aad: string): string {
  const fail = () =>
    new Error(
      'stored secret could not be decrypted: wrong GATEHOUSE_SECRET_KEY / secret-key file, or a damaged row',
    );
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw fail();
  const [iv, data, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
  if (iv!.length !== IV_BYTES || tag!.length !== TAG_BYTES) throw fail();
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv!, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(data!), decipher.final()]).toString('utf8');
  } catch {
    throw fail();
  }
}

/**
 * What the API shows of a stored secret: enough to tell two keys apart, never enough to use one.
 * Long secrets keep their first 3 and last 4 characters; short ones only their last 2.
 */
export function secretPreview(secret: string): string {
  const s = secret.trim();
  if (s.length < 12) return `****${s.slice(-2)}`;
  return `${s.slice(0, 3)}…${s.slice(-4)}`;
}
