import { randomFillSync } from 'node:crypto';

/**
 * ULIDs (26 Crockford base-32 characters: 48-bit time, 80 random bits), the hosted product's log-id
 * shape. The `ulid` package draws randomness once per character, which showed up at ~6% of the
 * gateway's CPU in the bench; here randomness comes from a pooled buffer, and ids made in the same
 * millisecond stay sorted by incrementing the previous random part (the ULID monotonic rule).
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL = Buffer.allocUnsafe(4096);
let poolOffset = POOL.length;

let lastTime = -1;
const lastRandom = new Uint8Array(16);

function fillRandom(): void {
  if (poolOffset + 16 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  for (let i = 0; i < 16; i++) lastRandom[i] = POOL[poolOffset + i]! & 31;
  poolOffset += 16;
}

function increment(): void {
  for (let i = 15; i >= 0; i--) {
    if (lastRandom[i]! < 31) {
      lastRandom[i]!++;
      return;
    }
    lastRandom[i] = 0;
  }
}

export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    increment();
  } else {
    lastTime = now;
    fillRandom();
  }
  let time = '';
  let t = lastTime;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[lastRandom[i]!]!;
  return time + rand;
}
