import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../db/migrations.ts';
import type { Database } from '../db/tables.ts';

/** SPEC §8: the filter keys of the logs API, each mapped to what it compares. */
export const FILTER_KEYS = [
  'id',
  'created_at',
  'request_content_type',
  'response_content_type',
  'request_type',
  'success',
  'cached',
  'cache_key',
  'provider',
  'model',
  'model_type',
  'cost',
  'tokens',
  'tokens_in',
  'tokens_out',
  'duration',
  // Gatehouse's own, beyond the hosted API's: the provider's part of `duration` (null for a hit or
  // a call that never answered), and its time to the first byte (a stream's first token).
  'upstream_duration',
  'upstream_first_byte',
  'feedback',
  'event_id',
  'metadata.key',
  'metadata.value',
  'authentication',
  'wholesale',
  'compatibilityMode',
  'dlp_action',
  'user_agent',
] as const;
export const OPERATORS = ['eq', 'neq', 'contains', 'lt', 'gt'] as const;

export type FilterKey = (typeof FILTER_KEYS)[number];
/** The API's operators, and the inclusive bounds the flat parameters (`min_cost`, `start_date`, …) need. */
export type Operator = (typeof OPERATORS)[number] | 'gte' | 'lte';
export type FilterValue = string | number | boolean | null;

export interface LogFilter {
  key: FilterKey;
  operator: Operator;
  value: FilterValue[];
}

export class FilterError extends Error {}

const BOOLEAN_KEYS = new Set(['success', 'cached', 'authentication', 'compatibilityMode', 'wholesale']);
const NUMBER_KEYS = new Set([
  'cost',
  'tokens',
  'tokens_in',
  'tokens_out',
  'duration',
  'upstream_duration',
  'upstream_first_byte',
  'feedback',
]);

/** What a key takes, when `v` is not that (a number compared with "abc" would match nothing, silently). */
function wrongKind(key: FilterKey, v: string | number | boolean): string | undefined {
  if (BOOLEAN_KEYS.has(key))
    return v === true || v === false || v === 'true' || v === 'false' || v === 0 || v === 1
      ? undefined
      : 'true or false';
  if (NUMBER_KEYS.has(key))
    return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
      ? undefined
      : 'numbers';
  if (key === 'created_at')
    return typeof v === 'number' || (typeof v === 'string' && Number.isFinite(Date.parse(v)))
      ? undefined
      : 'an ISO time or unix milliseconds';
  return undefined;
}

/** Validates filters from JSON or from the SDK's dotted query form, naming what is allowed. */
export function validateFilters(raw: unknown): LogFilter[] {
  if (!Array.isArray(raw)) throw new FilterError('filters must be an array of {key, operator, value[]}');
  return raw.map((f, i) => {
    const o = f as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null)
      throw new FilterError(`filters[${i}] must be an object {key, operator, value[]}`);
    const key = o['key'];
    if (typeof key !== 'string' || !(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new FilterError(
        `filters[${i}].key must be one of ${FILTER_KEYS.join(', ')}; got ${JSON.stringify(key)}`,
      );
    }
    const operator = o['operator'] ?? 'eq';
    if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
      throw new FilterError(
        `filters[${i}].operator must be one of ${OPERATORS.join(', ')}; got ${JSON.stringify(operator)}`,
      );
    }
    if (o['value'] === undefined) throw new FilterError(`filters[${i}].value is required: a list of values`);
    const values = Array.isArray(o['value']) ? o['value'] : [o['value']];
    if (values.length === 0) throw new FilterError(`filters[${i}].value must hold at least one value`);
    for (const v of values) {
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
        throw new FilterError(`filters[${i}].value holds strings, numbers, booleans or null`);
      }
      const wrong = v === null ? undefined : wrongKind(key as FilterKey, v as string | number | boolean);
      if (wrong)
        throw new FilterError(`filters[${i}].value: ${key} takes ${wrong}; got ${JSON.stringify(v)}`);
    }
    if ((operator === 'lt' || operator === 'gt') && values.length !== 1) {
      throw new FilterError(`filters[${i}]: ${operator} compares with exactly one value`);
    }
    return { key: key as FilterKey, operator: operator as Operator, value: values as FilterValue[] };
  });
}

/**
 * `filters` as JSON (`filters=[{"key":…}]`), or as the Cloudflare SDK sends it (qs with
 * `allowDots` and repeated arrays: `filters.key=…&filters.operator=…&filters.value=…`, one group
 * per `filters.key`, in order).
 */
export function filtersFromQuery(query: URLSearchParams): LogFilter[] {
  const json = query.get('filters');
  if (json !== null) {
    try {
      return validateFilters(JSON.parse(json));
    } catch (err) {
      if (err instanceof FilterError) throw err;
      throw new FilterError('filters must be a JSON array of {key, operator, value[]}');
    }
  }
  const groups: Array<Record<string, unknown>> = [];
  for (const [name, value] of query) {
    const m = /^filters(?:\[(\d+)\])?[.[](key|operator|value)\]?(?:\[\d*\])?$/.exec(name);
    if (!m) continue;
    const field = m[2]!;
    const index = m[1] !== undefined ? Number(m[1]) : field === 'key' ? groups.length : groups.length - 1;
    if (index < 0) throw new FilterError(`${name} must come after the filters.key it belongs to`);
    const g = groups[index] ?? {};
    groups[index] = g;
    if (field === 'value') {
      const values = (g['value'] as unknown[] | undefined) ?? [];
      values.push(parseScalar(value));
      g['value'] = values;
    } else {
      g[field] = value;
    }
  }
  return groups.length === 0 ? [] : validateFilters(groups.filter(Boolean));
}

function parseScalar(v: string): FilterValue {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

type Eb = ExpressionBuilder<Database, 'logs'>;

/** A LIKE pattern that finds `text` anywhere, its own `%`, `_` and `\` taken literally (see `like`). */
export function likeAnywhere(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `target LIKE pattern` with `\` as the escape character, the same on SQLite and Postgres. */
export function like(target: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`${target} like ${pattern} escape '\\'`;
}

/**
 * `text` anywhere in `target`, whatever the case. SQLite's LIKE ignores the case of ASCII letters
 * and its `lower()` folds only those too, so there the column is matched as it is: lowering every
 * row's text cost a search a third of its time, and lowering the text asked for made a capital
 * outside ASCII ("Über") match nothing. Postgres's LIKE heeds case, and its `lower()` folds all
 * of Unicode, as JavaScript's does.
 */
export function containsText(
  target: Expression<unknown>,
  text: string,
  dialect: Dialect,
): Expression<SqlBool> {
  return dialect === 'sqlite'
    ? like(target, likeAnywhere(text))
    : like(sql`lower(${target})`, likeAnywhere(text.toLowerCase()));
}

function column(key: FilterKey): Expression<unknown> | undefined {
  switch (key) {
    case 'tokens':
      return sql`(coalesce(tokens_in, 0) + coalesce(tokens_out, 0))`;
    case 'compatibilityMode':
      return sql.ref('compat');
    case 'metadata.key':
    case 'metadata.value':
    case 'wholesale':
    case 'dlp_action':
      return undefined;
    default:
      return sql.ref(key);
  }
}

function coerce(key: FilterKey, v: FilterValue): FilterValue {
  if (v === null) return null;
  if (BOOLEAN_KEYS.has(key)) return v === true || v === 'true' || v === 1 ? 1 : 0;
  if (key === 'created_at') return typeof v === 'number' ? v : Date.parse(String(v));
  if (NUMBER_KEYS.has(key)) return Number(v);
  return v;
}

const INT32: readonly [number, number] = [-2_147_483_648, 2_147_483_647];

/** The filter keys whose columns hold integers, with what their Postgres type can hold. */
const INTEGER_RANGE: Partial<Record<FilterKey, readonly [number, number]>> = {
  duration: INT32,
  upstream_duration: INT32,
  upstream_first_byte: INT32,
  tokens_in: INT32,
  tokens_out: INT32,
  tokens: INT32,
  feedback: INT32,
  // bigint holds more, but a JS number past 2^53 is printed with an exponent, which bigint refuses.
  created_at: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * A range comparison of an integer column, rewritten to compare with an integer its type holds
 * and still match the same rows: Postgres refuses `duration < '0.5'` or `tokens_in > 1e12` and
 * failed the whole query (a 500). `x < 0.5` becomes `x <= 0`, `x <= 1e12` becomes `x <= 2^31-1`,
 * and `x < -1e12` becomes `x < -2^31`, which nothing matches.
 */
export function integerBound(
  operator: 'lt' | 'gt' | 'gte' | 'lte',
  v: number,
  [lo, hi]: readonly [number, number],
): { operator: 'lt' | 'gt' | 'gte' | 'lte'; value: number } {
  if (operator === 'lt' || operator === 'lte') {
    const at = operator === 'lt' ? Math.ceil(v) - 1 : Math.floor(v);
    if (at >= hi) return { operator: 'lte', value: hi };
    if (at < lo) return { operator: 'lt', value: lo };
    return { operator: 'lte', value: at };
  }
  const at = operator === 'gt' ? Math.floor(v) + 1 : Math.ceil(v);
  if (at <= lo) return { operator: 'gte', value: lo };
  if (at > hi) return { operator: 'gt', value: hi };
  return { operator: 'gte', value: at };
}

/** A column as text, for `contains`: Postgres has no `lower()` of a number. */
function asText(key: FilterKey, col: Expression<unknown>): Expression<unknown> {
  return NUMBER_KEYS.has(key) || BOOLEAN_KEYS.has(key) || key === 'created_at'
    ? sql`cast(${col} as text)`
    : col;
}

const SQL_OPERATOR = { lt: '<', gt: '>', gte: '>=', lte: '<=' } as const;

/** One filter as a SQL condition. Metadata is flat JSON text, matched by its serialized pieces. */
export function condition(eb: Eb, f: LogFilter, dialect: Dialect): Expression<SqlBool> {
  if (f.key === 'metadata.key' || f.key === 'metadata.value') {
    const patterns = f.value.map((v) =>
      likeAnywhere(
        f.key === 'metadata.key' ? `${JSON.stringify(String(v)).slice(0, -1)}":` : `:${JSON.stringify(v)}`,
      ),
    );
    const any = eb.or(patterns.map((p) => like(sql.ref('metadata'), p)));
    return f.operator === 'neq' ? eb.or([eb('metadata', 'is', null), eb.not(any)]) : any;
  }
  const col = column(f.key);
  const values = f.value.map((v) => coerce(f.key, v));
  if (!col) {
    // Constant for every Gatehouse log: never wholesale (no Unified Billing), no DLP action yet.
    const constant = f.key === 'wholesale' ? 0 : null;
    const hit = values.some((v) => v === constant);
    return sql<SqlBool>`${sql.lit(f.operator === 'neq' ? !hit : f.operator === 'eq' ? hit : false)}`;
  }
  const range = INTEGER_RANGE[f.key];
  // An integer column equals no fraction, and no number its type cannot hold.
  const nonNull = values.filter(
    (v): v is string | number | boolean =>
      v !== null &&
      (!range || (Number.isInteger(v) && (v as number) >= range[0] && (v as number) <= range[1])),
  );
  const wantsNull = values.includes(null);
  if (range && f.operator !== 'eq' && f.operator !== 'neq' && f.operator !== 'contains') {
    // `x < null` holds for no row, in SQL as here.
    if (values[0] === null) return sql<SqlBool>`${sql.lit(false)}`;
    const b = integerBound(f.operator, values[0] as number, range);
    return eb(col, SQL_OPERATOR[b.operator], b.value);
  }
  switch (f.operator) {
    case 'eq': {
      const parts: Expression<SqlBool>[] = [];
      if (nonNull.length > 0) parts.push(eb(col, 'in', nonNull));
      if (wantsNull) parts.push(eb(col, 'is', null));
      return eb.or(parts);
    }
    case 'neq': {
      const parts: Expression<SqlBool>[] = [];
      if (nonNull.length > 0) parts.push(eb.or([eb(col, 'not in', nonNull), eb(col, 'is', null)]));
      if (wantsNull) parts.push(eb(col, 'is not', null));
      return eb.and(parts);
    }
    case 'contains':
      return eb.or(nonNull.map((v) => containsText(asText(f.key, col), String(v), dialect)));
    case 'lt':
      return eb(col, '<', nonNull[0]!);
    case 'gt':
      return eb(col, '>', nonNull[0]!);
    case 'gte':
      return eb(col, '>=', nonNull[0]!);
    case 'lte':
      return eb(col, '<=', nonNull[0]!);
  }
}

/** The same filters over a row in memory (the live tail sees rows as they are written). */
export function matchesAll(row: Record<string, unknown>, filters: LogFilter[]): boolean {
  return filters.every((f) => matches(row, f));
}

function matches(row: Record<string, unknown>, f: LogFilter): boolean {
  if (f.key === 'metadata.key' || f.key === 'metadata.value') {
    let meta: Record<string, unknown> = {};
    try {
      meta = row['metadata'] ? (JSON.parse(String(row['metadata'])) as Record<string, unknown>) : {};
    } catch {
      meta = {};
    }
    const pool = f.key === 'metadata.key' ? Object.keys(meta) : Object.values(meta);
    const hit = f.value.some((v) => pool.some((p) => p === v || String(p) === String(v)));
    return f.operator === 'neq' ? !hit : hit;
  }
  let actual: unknown;
  if (f.key === 'tokens') actual = Number(row['tokens_in'] ?? 0) + Number(row['tokens_out'] ?? 0);
  else if (f.key === 'compatibilityMode') actual = row['compat'];
  else if (f.key === 'wholesale') actual = 0;
  else if (f.key === 'dlp_action') actual = null;
  else actual = row[f.key];
  const values = f.value.map((v) => coerce(f.key, v));
  const eq = (v: FilterValue) =>
    v === null ? actual === null || actual === undefined : actual === v || String(actual) === String(v);
  switch (f.operator) {
    case 'eq':
      return values.some(eq);
    case 'neq':
      return !values.some(eq);
    case 'contains':
      return values.some(
        (v) =>
          v !== null &&
          String(actual ?? '')
            .toLowerCase()
            .includes(String(v).toLowerCase()),
      );
    case 'lt':
      return actual !== null && actual !== undefined && Number(actual) < Number(values[0]);
    case 'gt':
      return actual !== null && actual !== undefined && Number(actual) > Number(values[0]);
    case 'gte':
      return actual !== null && actual !== undefined && Number(actual) >= Number(values[0]);
    case 'lte':
      return actual !== null && actual !== undefined && Number(actual) <= Number(values[0]);
  }
}
