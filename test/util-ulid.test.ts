import { describe, expect, it } from 'vitest';
import { ulid } from '../src/util/ulid.ts';

describe('ulid', () => {
  it('is 26 Crockford base-32 characters with the time first', () => {
    const id = ulid(1_700_000_000_000);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(id.slice(0, 10)).toBe('01HF7YAT00');
  });

  it('sorts by creation, within one millisecond too', () => {
    const ids = Array.from({ length: 1000 }, () => ulid(1_700_000_000_001));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(ulid(1_700_000_000_002) > ids.at(-1)!).toBe(true);
  });
});
