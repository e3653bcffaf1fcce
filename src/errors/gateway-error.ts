import { ERRORS, type ErrorKind, type ErrorName } from './codes.ts';

/** An error the gateway answers itself, as an `AiGatewayError` body (SPEC.md §14). */
export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly errorName: ErrorName;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  /** `detail` says what was wrong and what is allowed; it must never contain a secret. */
  constructor(name: ErrorName, detail?: string, headers: Record<string, string> = {}) {
    const kind = ERRORS[name];
    super(detail ? `${kind.message}: ${detail}` : kind.message);
    this.name = 'GatewayError';
    this.kind = kind;
    this.errorName = name;
    this.detail = detail;
    this.headers = headers;
  }

  /** The same error with context in front of its detail (e.g. which fallback step it came from). */
  within(context: string): GatewayError {
    return new GatewayError(this.errorName, this.detail ? `${context}: ${this.detail}` : context, {
      ...this.headers,
    });
  }

  get status(): number {
    return this.kind.status;
  }

  get code(): number {
    return this.kind.code;
  }
}

export function aiGatewayErrorBody(code: number, status: number, message: string): string {
  return JSON.stringify({
    success: false,
    result: [],
    messages: [],
    error: [{ code, message }],
    name: 'AiGatewayError',
    httpCode: status,
    internalCode: code,
    message,
  });
}
