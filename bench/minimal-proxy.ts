import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';

/**
 * The floor for any Node proxy: `node:http` in, one shared undici Agent out, bodies piped both
 * ways, hop-by-hop headers dropped (RFC 9110 §7.6.1), nothing else: no auth, no logging.
 * It strips the same `/v1/{account}/{gateway}/{provider}` prefix as Gatehouse, so the load
 * generator sends both the same request.
 *
 *   node bench/minimal-proxy.ts --upstream http://127.0.0.1:PORT/v1 [--port 0]
 */

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } },
});
if (!values.upstream) throw new Error('--upstream is required');
const upstream = new URL(values.upstream);
const basePath = upstream.pathname.replace(/\/$/, '');
const PREFIX = /^\/v1\/[^/]+\/[^/]+\/[^/]+/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const agent = new Agent({ keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(req.rawHeaders[i]!.toLowerCase()))
      headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  agent.stream(
    {
      origin: upstream.origin,
      path: basePath + (req.url ?? '/').replace(PREFIX, ''),
      method: req.method as 'POST',
      headers,
      body: hasBody ? req : null,
    },
    ({ statusCode, headers: upstreamHeaders }) => {
      for (const [name, value] of Object.entries(upstreamHeaders)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
      }
      res.writeHead(statusCode);
      return res;
    },
    (error) => {
      if (!error) return;
      if (res.headersSent) res.destroy(error);
      else
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"bad gateway"}}');
    },
  );
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) console.log(`listening http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void agent.close();
});
