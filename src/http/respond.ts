import { maxHeaderSize, type ServerResponse } from 'node:http';
import { ERRORS } from '../errors/codes.ts';
import { aiGatewayErrorBody, GatewayError } from '../errors/gateway-error.ts';

/** Sends a gateway-made error as an `AiGatewayError` body, with any extra headers. */
export function sendGatewayError(
  res: ServerResponse,
  err: GatewayError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = aiGatewayErrorBody(err.code, err.status, err.message);
  res.writeHead(err.status, {
    ...headers,
    ...err.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Anything thrown that is not a GatewayError is a bug: it becomes a 500 without internals. */
export function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('internal');
}

/**
 * The raw answer to bytes Node's HTTP parser rejected (they never reach a handler): an
 * `AiGatewayError` like every other gateway-made error, 431 when the request line and headers are
 * over Node's limit (a long `filters` query does that), 400 for anything else malformed.
 */
export function malformedRequestAnswer(err: { code?: string | undefined }): string {
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const detail = tooLarge
    ? `the request line and headers together are over ${maxHeaderSize} bytes (Node's --max-http-header-size); send fewer or shorter filters`
    : 'not a well-formed HTTP/1.1 request';
  const { code, message } = ERRORS.invalidHeader;
  const body = aiGatewayErrorBody(code, status, `${message}: ${detail}`);
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
