import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import { sendGatewayError } from '../http/respond.ts';
import type { AppContext } from '../server/context.ts';
import { allows } from '../tokens/registry.ts';

/**
 * Prometheus text format. It names gateways, providers and models, so it takes a token like the
 * management API does (the admin token or one with `read`); Prometheus sends it with
 * `authorization: {credentials: …}` in the scrape config.
 */
export function serveMetrics(app: AppContext, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const principal = token ? app.tokens.authenticate(token) : undefined;
  if (!principal || !allows(principal, 'read')) {
    sendGatewayError(
      res,
      new GatewayError(
        'unauthorized',
        '/metrics takes Authorization: Bearer <admin token or a token with read>',
      ),
    );
    return;
  }
  const body = app.metrics.expose();
  res.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
