import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  COMPRESS_FROM_BYTES,
  decodeCompressedEntry,
  decodeEntry,
  encodeCompressedEntry,
  encodeEntry,
} from '../../src/cache/codec.ts';
import { entry } from './store-contract.ts';

/** An SSE stream of `n` frames and where each ends, like a provider's chat stream. */
function stream(n: number): { body: string; frames: number[] } {
  let body = '';
  const frames: number[] = [];
  for (let i = 0; i < n; i++) {
    body += `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"word ${(i * 7919) % 1000} "}}]}\n\n`;
    frames.push(body.length); // ASCII: characters are bytes
  }
  return { body, frames };
}

describe('cache entry codec, compressed form', () => {
  it('deflates a body from 4 KiB and restores it exactly, on this thread and on the pool', async () => {
    for (const n of [40, 3000]) {
      const { body, frames } = stream(n);
      const original = entry(body, frames);
      const packed = await encodeCompressedEntry(original);
      expect(packed[0]).toBe(0x7a);
      expect(packed.length).toBeLessThan(original.body.length / 5);
      const back = await decodeCompressedEntry(packed);
      expect(back.body.equals(original.body)).toBe(true);
      const { body: _a, ...meta } = back;
      const { body: _b, ...originalMeta } = original;
      expect(meta).toEqual(originalMeta);
    }
    // The second one is over 256 KiB: deflated and inflated off the request thread.
    expect(stream(3000).body.length).toBeGreaterThan(256 * 1024);
  });

  it('stores small and incompressible bodies as encodeEntry does, and reads that form too', async () => {
    for (const body of [Buffer.from('x'.repeat(COMPRESS_FROM_BYTES - 1)), randomBytes(20_000)]) {
      const e = entry(body);
      const stored = await encodeCompressedEntry(e);
      expect(stored.equals(encodeEntry(e))).toBe(true);
      expect((await decodeCompressedEntry(stored)).body.equals(body)).toBe(true);
      expect(decodeEntry(stored).body.equals(body)).toBe(true);
    }
  });

  it('refuses a compressed body that inflates to another size than it says', async () => {
    const packed = await encodeCompressedEntry(entry(stream(40).body));
    const wrong = Buffer.from(packed);
    wrong.writeUInt32BE(packed.readUInt32BE(1) + 1, 1);
    await expect(decodeCompressedEntry(wrong)).rejects.toThrow(/bytes, not/);
    const short = Buffer.from(packed);
    short.writeUInt32BE(packed.readUInt32BE(1) - 1, 1);
    await expect(decodeCompressedEntry(short)).rejects.toThrow();
  });
});
