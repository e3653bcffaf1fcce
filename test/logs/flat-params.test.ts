import { describe, expect, it } from 'vitest';
import { matchesAll } from '../../src/logs/filters.ts';
import { flatFilters } from '../../src/logs/flat-params.ts';

const row = {
  provider: 'openai',
  cached: 0,
  success: 1,
  cost: 0.5,
  tokens_in: 10,
  tokens_out: 5,
  created_at: 1000,
};
const matches = (query: string) => matchesAll(row, flatFilters(new URLSearchParams(query)));

describe('flat log parameters', () => {
  it('map to filters, leaving the list parameters alone', () => {
    expect(
      flatFilters(new URLSearchParams('provider=openai&page=2&per_page=5&search=x&min_cost=0.1')),
    ).toEqual([
      { key: 'provider', operator: 'eq', value: ['openai'] },
      { key: 'cost', operator: 'gte', value: [0.1] },
    ]);
    // A bare end date takes in the whole day; a start date or a full time is taken as it is.
    expect(flatFilters(new URLSearchParams('start_date=2026-12-01&end_date=2026-12-01'))).toEqual([
      { key: 'created_at', operator: 'gte', value: [Date.parse('2026-12-01T00:00:00Z')] },
      { key: 'created_at', operator: 'lte', value: [Date.parse('2026-12-01T23:59:59.999Z')] },
    ]);
    expect(flatFilters(new URLSearchParams('end_date=2026-12-01T10:00:00Z'))[0]!.value).toEqual([
      Date.parse('2026-12-01T10:00:00Z'),
    ]);
    expect(flatFilters(new URLSearchParams('feedback=0&max_tokens=7'))).toEqual([
      { key: 'feedback', operator: 'eq', value: [-1] },
      { key: 'tokens', operator: 'lte', value: [7] },
    ]);
  });

  it('bound rows inclusively in memory too, as the live tail filters them', () => {
    expect(matches('min_cost=0.5&max_cost=0.5')).toBe(true);
    expect(matches('min_total_tokens=15&max_total_tokens=15')).toBe(true);
    expect(matches('min_total_tokens=16')).toBe(false);
    expect(matches('start_date=1000&end_date=1000')).toBe(true);
    expect(matches('end_date=999')).toBe(false);
    expect(matches('success=true&cached=false&provider=openai')).toBe(true);
    expect(matches('cached=true')).toBe(false);
  });
});
