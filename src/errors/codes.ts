/**
 * Every error the gateway itself produces, in one table. Codes 2001–2041 and 7013 are the hosted
 * product's (SPEC.md §14); the others are Gatehouse's own, chosen from unused numbers and listed in
 * the README. `retryable` is the only thing retry and fallback look at.
 */
export interface ErrorKind {
  readonly code: number;
  readonly status: number;
  readonly message: string;
  readonly retryable: boolean;
}

export const ERRORS = {
  gatewayNotFound: { code: 2001, status: 404, message: 'Gateway not found', retryable: false },
  rateLimited: { code: 2003, status: 429, message: 'Rate limited', retryable: false },
  upstreamTimeout: { code: 2004, status: 504, message: 'Provider did not respond in time', retryable: true },
  upstreamUnreachable: {
    code: 2005,
    status: 502,
    message: 'Failed to get response from provider',
    retryable: true,
  },
  invalidProvider: { code: 2008, status: 400, message: 'Invalid provider', retryable: false },
  unauthorized: { code: 2009, status: 401, message: 'Unauthorized', retryable: false },
  invalidHeader: { code: 2011, status: 400, message: 'Invalid request header', retryable: false },
  bodyTooLarge: { code: 2012, status: 413, message: 'Request body too large', retryable: false },
  accountNotFound: { code: 2013, status: 404, message: 'Account not found', retryable: false },
  invalidPath: { code: 2014, status: 400, message: 'Invalid request path', retryable: false },
  invalidBody: { code: 2015, status: 400, message: 'Invalid request body', retryable: false },
  notFound: { code: 2018, status: 404, message: 'Not found', retryable: false },
  internal: { code: 2020, status: 500, message: 'Internal gateway error', retryable: false },
  byokAliasNotFound: { code: 2040, status: 400, message: 'BYOK credential not found', retryable: false },
  spendLimited: { code: 2041, status: 429, message: 'Spend limit exceeded', retryable: false },
  credentialsRequired: {
    code: 2042,
    status: 400,
    message: 'Provider credentials required',
    retryable: false,
  },
} as const satisfies Record<string, ErrorKind>;

export type ErrorName = keyof typeof ERRORS;
