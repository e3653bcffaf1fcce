import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';

const EMPTY = Buffer.alloc(0);

/** Buffers a request body up to `limit` bytes; past it, a 413 that says the limit. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // A client that leaves mid-body is not a gateway fault; the promise still settles.
    const incomplete = () =>
      reject(
        new GatewayError('invalidBody', 'the client closed the connection before the body was complete'),
      );
    req.on('error', incomplete);
    req.on('close', () => {
      if (!req.complete) incomplete();
    });
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('bodyTooLarge', `the limit is ${limit} bytes (limits.max_request_bytes)`);
}
