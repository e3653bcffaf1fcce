import { describe, expect, it } from 'vitest';
import type { InterleavedRound, LoadMeasurement } from '../bench/lib/report.ts';
import { roundRatio } from '../bench/lib/report.ts';

const run = (requestsPerSecond: number) => ({ requestsPerSecond }) as LoadMeasurement;
const round = (on: number, off: number, hit: number): InterleavedRound => ({
  logsOn: run(on),
  logsOff: run(off),
  hit: run(hit),
});

describe('bench: ratios read within interleaved rounds', () => {
  it('takes the median of the per-round ratios, not the ratio of the sums', () => {
    // Round 2 ran on a slow spell: every run in it is slower, its ratio is what counts.
    const rounds = [round(900, 1000, 1800), round(300, 400, 500), round(800, 1000, 1700)];
    expect(roundRatio(rounds, 'logsOn', 'logsOff')).toEqual({ median: 0.8, min: 0.75, max: 0.9, n: 3 });
    expect(roundRatio(rounds, 'hit', 'logsOn').median).toBeCloseTo(2);
  });

  it('averages the middle two of an even count', () => {
    const r = roundRatio([round(1, 2, 0), round(3, 4, 0)], 'logsOn', 'logsOff');
    expect(r.median).toBeCloseTo((0.5 + 0.75) / 2);
  });

  it('is NaN with no usable round, so the goal reads as not measured', () => {
    expect(roundRatio([], 'logsOn', 'logsOff').n).toBe(0);
    expect(roundRatio(undefined, 'logsOn', 'logsOff').median).toBeNaN();
    expect(roundRatio([round(1, 0, 1)], 'logsOn', 'logsOff').n).toBe(0);
  });
});
