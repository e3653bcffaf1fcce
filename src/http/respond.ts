import type { ServerResponse } from 'node:http';
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
