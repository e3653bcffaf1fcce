import { describe, expect, it } from 'vitest';
import { integerBound } from '../../src/logs/filters.ts';

const compare = {
  lt: (a: number, b: number) => a < b,
  gt: (a: number, b: number) => a > b,
  lte: (a: number, b: number) => a <= b,
  gte: (a: number, b: number) => a >= b,
};

describe('integerBound', () => {
  it('matches the same integers as the comparison it replaces, with a bound the type holds', () => {
    const range = [-5, 5] as const;
    const values = [-1e12, -6, -5.5, -5, -4.5, -0.5, 0, 0.5, 1, 4.5, 5, 5.5, 6, 1e12];
    for (const operator of ['lt', 'gt', 'lte', 'gte'] as const) {
      for (const v of values) {
        const b = integerBound(operator, v, range);
        expect(Number.isInteger(b.value) && b.value >= range[0] && b.value <= range[1]).toBe(true);
        for (let x = range[0]; x <= range[1]; x++) {
          expect(compare[b.operator](x, b.value), `${x} ${operator} ${v}`).toBe(compare[operator](x, v));
        }
      }
    }
  });
});
