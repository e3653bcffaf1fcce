import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import { readBody } from '../http/body.ts';
import { sendGatewayError, toGatewayError } from '../http/respond.ts';
import type { AppContext } from '../server/context.ts';
import { Exchange } from './exchange.ts';
import { recordLog } from './log-record.ts';
import { readOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';
import { authenticate, resolveGateway, resolveProvider, resolveUpstreamUrl } from './stages.ts';
import { ResponseTee } from './tee.ts';
import { forward } from './upstream.ts';

/**
 * The life of one provider-native request, top to bottom:
 *
 *   gateway → authenticate → options → provider → upstream URL → body → upstream (stream + tee) → log
 *
 * Every stage either fills in the exchange or throws a GatewayError, which becomes the
 * client's `AiGatewayError` answer. The log record is written in every case, off the response path.
 */
export async function handleProviderRequest(
  app: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: DataPlaneRoute,
): Promise<void> {
  const ex = new Exchange(req, route);
  try {
    ex.gateway = await resolveGateway(app, route);
    authenticate(app, ex.gateway, ex.gatewayHeaders.get('cf-aig-authorization'));
    ex.options = readOptions(ex.gatewayHeaders);
    if (ex.options.eventId) ex.eventId = ex.options.eventId;
    ex.provider = resolveProvider(app, route);
    const url = resolveUpstreamUrl(app, ex.provider, route);
    ex.body = await readBody(req, app.config.maxRequestBytes);
    await callProvider(app, ex, url, res);
  } catch (err) {
    const gatewayError = toGatewayError(err);
    if (!(err instanceof GatewayError))
      app.log('error', `request ${ex.logId} failed: ${(err as Error).stack}`);
    ex.failWith(gatewayError);
    // A request rejected before its body was read leaves it unread; drain it so keep-alive works.
    if (!req.readableEnded) req.resume();
    sendGatewayError(res, gatewayError, ex.responseHeaders() as Record<string, string>);
  } finally {
    ex.finish();
    recordLog(app, ex);
  }
}

/** Streams the provider's answer to the client, reading usage on the way. */
async function callProvider(app: AppContext, ex: Exchange, url: URL, res: ServerResponse): Promise<void> {
  const provider = ex.provider!;
  let tee: ResponseTee | undefined;
  const outcome = await forward(
    app.dispatcher,
    {
      url,
      method: ex.method,
      headers: ex.forwardHeaders,
      body: ex.body && ex.body.length > 0 ? ex.body : null,
      headersTimeoutMs: app.config.upstream.headersTimeoutMs,
      bodyTimeoutMs: app.config.upstream.bodyTimeoutMs,
    },
    res,
    ex.responseHeaders(),
    {
      onHead: (status, headers) => {
        ex.status = status;
        const ct = headers['content-type'];
        tee = new ResponseTee(provider, Array.isArray(ct) ? ct[0] : ct);
      },
      onData: (chunk) => tee!.push(chunk),
    },
  );
  if (tee) ex.facts = tee.finish();

  switch (outcome.end.kind) {
    case 'complete':
      return;
    case 'client-aborted':
      // 499 is the de-facto "client closed request" status; the log says so plainly.
      ex.status = ex.status || 499;
      ex.error = 'client disconnected before the response finished';
      return;
    case 'failed-mid-response':
      ex.error = `${provider.slug} response cut off: ${outcome.end.message}`;
      res.destroy();
      return;
    case 'failed-before-response':
      throw new GatewayError(
        outcome.end.error === 'timeout' ? 'upstreamTimeout' : 'upstreamUnreachable',
        `${provider.slug} (${url.host}): ${outcome.end.message}`,
      );
  }
}
