/** `/compat/v1/messages` errors: any error body → Anthropic's error envelope. Pure. */
import { isObj } from './shared.ts';

function errorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

function errorMessage(status: number, body: unknown): string {
  if (typeof body === 'string' && body.trim() !== '') return body;
  if (isObj(body)) {
    const e = body['error'];
    if (isObj(e) && typeof e['message'] === 'string') return e['message'];
    if (typeof e === 'string') return e;
    if (typeof body['message'] === 'string') return body['message'];
    return JSON.stringify(body);
  }
  return `upstream answered HTTP ${status}`;
}

/** Any error body (OpenAI-shaped or not) → Anthropic's error envelope. */
export function chatErrorToAnthropic(status: number, body: unknown): unknown {
  return { type: 'error', error: { type: errorType(status), message: errorMessage(status, body) } };
}
