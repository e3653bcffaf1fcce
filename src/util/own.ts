/**
 * `table[key]` for a key a client chose. A plain lookup also finds what every object inherits, so
 * `?constructor=x` or a header named `toString` would reach `Object.prototype` and come back as a
 * function where a table entry was expected.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
