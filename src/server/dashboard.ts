import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The dashboard (dashboard/, built by Vite into dashboard/dist at install): one page at `/` and its
 * hashed assets under `/assets/`. Files are read once at start and kept in memory with a gzip copy;
 * the page itself talks only to the management API, with the token the user signs in with.
 */

const DIST = join(import.meta.dirname, '..', '..', 'dashboard', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  /** Hashed file names never change content: cache for a year. The page itself: always revalidate. */
  immutable: boolean;
}

export interface Dashboard {
  /** Whether `url` is the dashboard's (GET `/`, `/index.html`, `/assets/…`). */
  owns(method: string | undefined, url: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      const full = join(dir, rel);
      if (statSync(full).isDirectory()) {
        walk(rel);
        continue;
      }
      const ext = name.slice(name.lastIndexOf('.'));
      const body = readFileSync(full);
      const type = TYPES[ext] ?? 'application/octet-stream';
      const compressible = /text|javascript|json|svg/.test(type) && body.length > 1024;
      assets.set(`/${rel}`, {
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
        type,
        immutable: rel.startsWith('assets/'),
      });
    }
  };
  walk('');
  return assets;
}

/** Security headers for the page: it runs only its own scripts and talks only to this origin. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function createDashboard(dir = DIST): Dashboard {
  let assets: Map<string, Asset> | undefined;
  let missing = false;
  try {
    assets = load(dir);
    missing = !assets.has('/index.html');
  } catch {
    missing = true;
  }
  return {
    owns(method, url) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      const path = url.split('?')[0]!;
      return path === '/' || path === '/index.html' || path.startsWith('/assets/');
    },
    serve(req, res) {
      req.resume();
      const path = (req.url ?? '/').split('?')[0]!;
      if (missing || !assets) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(
          'The dashboard is not built. Run `npm run build:dashboard` (npm install does it) and restart the gateway.\n',
        );
        return;
      }
      const asset = assets.get(path === '/' ? '/index.html' : path);
      if (!asset) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Not found\n');
        return;
      }
      const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? asset.gzip! : asset.body;
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': body.length,
        'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(asset.type.startsWith('text/html') ? PAGE_HEADERS : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
