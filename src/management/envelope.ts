import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/respond.ts';

/** A management-API failure, answered as a Cloudflare v4 error envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly path: Array<string | number> | undefined;

  constructor(status: number, code: number, message: string, path?: Array<string | number>) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  /** More about the listed set, where a route offers it (the logs list's `meta_info`). */
  [extra: string]: number | null;
}

export function ok(res: ServerResponse, result: unknown, resultInfo?: ResultInfo, status = 200): void {
  sendJson(res, status, {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo ? { result_info: resultInfo } : {}),
  });
}

export function fail(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, {
    success: false,
    errors: [{ code: err.code, message: err.message, ...(err.path ? { path: err.path } : {}) }],
    messages: [],
    result: null,
  });
}

/** `page` and `per_page` from the query, with the bounds said in the error. */
export function pagination(query: URLSearchParams, maxPerPage = 100): { page: number; perPage: number } {
  const page = query.has('page') ? Number(query.get('page')) : 1;
  const perPage = query.has('per_page') ? Number(query.get('per_page')) : 20;
  // Past this the row offset is no longer an exact integer, which no database takes.
  const maxPage = Math.floor(Number.MAX_SAFE_INTEGER / maxPerPage);
  if (!Number.isInteger(page) || page < 1 || page > maxPage)
    throw new ApiError(400, 7001, `page must be an integer from 1 to ${maxPage}`);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > maxPerPage) {
    throw new ApiError(400, 7001, `per_page must be an integer from 1 to ${maxPerPage}`);
  }
  return { page, perPage };
}

export function paginate<T>(items: T[], page: number, perPage: number): { items: T[]; info: ResultInfo } {
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return { items: slice, info: { page, per_page: perPage, count: slice.length, total_count: items.length } };
}
