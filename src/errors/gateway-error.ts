import { ERRORS, type ErrorKind, type ErrorName } from './codes.ts';

/** An error the gateway answers itself, as an `AiGatewayError` body (SPEC.md §14). */
export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly headers: Readonly<Record<string, string>>;

  /** `detail` says what was wrong and what is allowed; it must never contain a secret. */
  constructor(name: ErrorName, detail?: string, headers: Record<string, string> = {}) {
    const kind = ERRORS[name];
    super(detail ? `${kind.message}: ${detail}` : kind.message);
    this.name = 'GatewayError';
    this.kind = kind;
    this.headers = headers;
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
