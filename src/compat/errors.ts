import { errorText, parseJson, record } from '../providers/shared/values.ts';

/** OpenAI's `error.type` for each status class; the SDKs choose their error class by status. */
function errorType(status: number): string {
  if (status === 400 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * A provider's error body (Anthropic's `{type, error}`, Google's `{error: {status}}`, Bedrock's
 * `{message}`, Cohere's `{message}`, …) in OpenAI's shape, its message prefixed with who said it.
 * An OpenAI-shaped body keeps its own type and code.
 * Anthropic's `{type: "error", error: {type, message}}` looks alike; its type becomes OpenAI's.
 */
export function toOpenAiError(status: number, provider: string, bodyText: string): OpenAiError {
  const body = record(parseJson(bodyText));
  const inner = record(body?.['error']);
  if (
    inner &&
    typeof inner['message'] === 'string' &&
    typeof inner['type'] === 'string' &&
    !('status' in inner)
  ) {
    return {
      error: {
        message: `${provider}: ${inner['message']}`,
        type: body?.['type'] === 'error' ? errorType(status) : inner['type'],
        param: typeof inner['param'] === 'string' ? inner['param'] : null,
        code:
          typeof inner['code'] === 'string'
            ? inner['code']
            : body?.['type'] === 'error'
              ? inner['type']
              : null,
      },
    };
  }
  const message =
    errorText(inner ?? body) ?? (bodyText.trim() === '' ? `status ${status}` : bodyText.slice(0, 500));
  const code = inner?.['status'] ?? inner?.['type'] ?? null;
  return {
    error: {
      message: `${provider}: ${message}`,
      type: errorType(status),
      param: null,
      code: typeof code === 'string' ? code : null,
    },
  };
}
