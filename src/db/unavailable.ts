/** Socket errors that mean the database server could not be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * Whether an error says the database is unavailable (down, restarting, out of connections,
 * locked), as opposed to a query it refused: the first is worth a retry and is no bug of ours.
 * Postgres SQLSTATE classes 08 (connection exception), 53 (insufficient resources) and 57P
 * (shut down, starting up), and 25006 (read only); pg-pool's own connection errors carry no
 * code, only their message.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errcode?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^(08|53)...$/.test(code) || /^57P0[123]$/.test(code)) return true;
  // 25006: a primary demoted to a read-only standby by a failover, still holding our connections.
  if (code === '25006') return true;
  if (/timeout exceeded when trying to connect|Connection terminated/.test(message)) return true;
  // SQLite: SQLITE_BUSY once its busy timeout ran out.
  return code === 'ERR_SQLITE_ERROR' && (e?.errcode === 5 || /database is locked/.test(message));
}

/**
 * A query cancelled for running past `database_query_timeout_ms`, or by a `statement_timeout` an
 * operator set on the role or database (SQLSTATE 57014 either way).
 */
export function isStatementTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  if (e?.name === 'QueryTimeoutError') return true;
  return e?.code === '57014' && typeof e.message === 'string' && e.message.includes('statement timeout');
}
