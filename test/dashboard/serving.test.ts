import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/server/dashboard.ts';

/** The serving half alone, over real HTTP: an unbuilt checkout says what to run, nothing else is served. */
describe('dashboard serving without a build', () => {
  let server: Server;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nodash-'));

  beforeAll(async () => {
    const dashboard = createDashboard(join(dir, 'dist'));
    server = createServer((req, res) => {
      if (dashboard.owns(req.method, req.url ?? '/')) dashboard.serve(req, res);
      else res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 naming the command that builds it', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:dashboard');
  });

  it('claims only GET/HEAD on /, /index.html and /assets/…', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(418);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(418);
  });
});
