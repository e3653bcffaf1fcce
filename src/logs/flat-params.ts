import { own } from '../util/own.ts';
import { FilterError, type FilterKey, type LogFilter } from './filters.ts';

/**
 * The logs list's older flat query parameters (SPEC §8 "deprecated flat params"), which the
 * Cloudflare SDKs still send: each becomes a filter, added to `filters[]`. Minimum and maximum
 * bounds include their value, and so do `start_date` and `end_date`.
 */
const EXACT: Partial<Record<string, FilterKey>> = {
  model: 'model',
  model_type: 'model_type',
  provider: 'provider',
  request_content_type: 'request_content_type',
  response_content_type: 'response_content_type',
};

const BOOLEAN: Partial<Record<string, FilterKey>> = { cached: 'cached', success: 'success' };

/** `min_x` / `max_x`; `min_tokens` / `max_tokens` are what older SDK versions called total tokens. */
const RANGES: Partial<Record<string, FilterKey>> = {
  cost: 'cost',
  duration: 'duration',
  tokens_in: 'tokens_in',
  tokens_out: 'tokens_out',
  total_tokens: 'tokens',
  tokens: 'tokens',
};

/** Every flat parameter this module reads, for callers that list what a request may carry. */
export const FLAT_PARAMS: readonly string[] = [
  ...Object.keys(EXACT),
  ...Object.keys(BOOLEAN),
  'feedback',
  'start_date',
  'end_date',
  ...Object.keys(RANGES).flatMap((k) => [`min_${k}`, `max_${k}`]),
];

export function flatFilters(query: URLSearchParams): LogFilter[] {
  const out: LogFilter[] = [];
  for (const [name, value] of query) {
    const exact = own(EXACT, name);
    if (exact) {
      out.push({ key: exact, operator: 'eq', value: [value] });
      continue;
    }
    const flag = own(BOOLEAN, name);
    if (flag) {
      if (value !== 'true' && value !== 'false')
        throw new FilterError(`${name} must be true or false; got "${value.slice(0, 40)}"`);
      out.push({ key: flag, operator: 'eq', value: [value === 'true'] });
      continue;
    }
    if (name === 'feedback') {
      // Stored feedback is -1 or 1; the flat parameter says 0 for a thumbs down, 1 for a thumbs up.
      if (value !== '0' && value !== '1')
        throw new FilterError(`feedback must be 0 (negative) or 1 (positive); got "${value.slice(0, 40)}"`);
      out.push({ key: 'feedback', operator: 'eq', value: [value === '1' ? 1 : -1] });
      continue;
    }
    if (name === 'start_date' || name === 'end_date') {
      const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(t))
        throw new FilterError(
          `${name} must be an ISO time or unix milliseconds; got "${value.slice(0, 40)}"`,
        );
      // A bare date as the end means the whole of that day (UTC), as a person asking for it means.
      const end = name === 'end_date' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? t + 86_400_000 - 1 : t;
      out.push({ key: 'created_at', operator: name === 'start_date' ? 'gte' : 'lte', value: [end] });
      continue;
    }
    const bound = /^(min|max)_(.+)$/.exec(name);
    const key = bound ? own(RANGES, bound[2]!) : undefined;
    if (bound && key) {
      const n = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) throw new FilterError(`${name} must be a number; got "${value.slice(0, 40)}"`);
      out.push({ key, operator: bound[1] === 'min' ? 'gte' : 'lte', value: [n] });
    }
  }
  return out;
}
