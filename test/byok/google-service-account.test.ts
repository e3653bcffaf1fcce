import { createVerify, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GoogleTokenSource,
  parseServiceAccount,
  type ServiceAccount,
} from '../../src/keys/google-service-account.ts';

const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const { publicKey, privateKey } = pair();
const other = pair();

const EMAIL = 'gatehouse-test@my-project-123.iam.gserviceaccount.com';
const T0 = 1_750_000_000_000;

/** What the token server saw on each exchange, and how it will answer the next one. */
interface Seen {
  contentType: string | undefined;
  grantType: string | null;
  header: unknown;
  claims: unknown;
}
let seen: Seen[] = [];
let answer: { status: number; body: string; delayMs: number };
let server: Server;
let tokenUri: string;

function verify(assertion: string): { header: unknown; claims: unknown } | undefined {
  const [h, c, sig] = assertion.split('.');
  if (!h || !c || !sig) return undefined;
  const ok = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(sig, 'base64url'));
  if (!ok) return undefined;
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(c, 'base64url').toString('utf8')),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      const jwt = verify(form.get('assertion') ?? '');
      const reply = (status: number, body: string) =>
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(body);
        }, answer.delayMs);
      if (!jwt) {
        reply(400, JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }));
        return;
      }
      seen.push({
        contentType: req.headers['content-type'],
        grantType: form.get('grant_type'),
        header: jwt.header,
        claims: jwt.claims,
      });
      reply(answer.status, answer.body.replace('{n}', String(seen.length)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const okBody = (expiresIn = 3599) =>
  JSON.stringify({ access_token: 'ya29.token-{n}', expires_in: expiresIn, token_type: 'Bearer' });

beforeEach(() => {
  seen = [];
  answer = { status: 200, body: okBody(), delayMs: 0 };
});

const keyFile = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'my-project-123',
    private_key_id: '0123456789abcdef0123456789abcdef01234567',
    private_key: privateKey,
    client_email: EMAIL,
    client_id: '123456789012345678901',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    universe_domain: 'googleapis.com',
    ...extra,
  });

const LOCAL = { allowHosts: ['127.0.0.1'] };
const account = (extra: Record<string, unknown> = {}): ServiceAccount =>
  parseServiceAccount(keyFile(extra), LOCAL);

/** A clock the test moves by hand. */
function clock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('parseServiceAccount', () => {
  it('reads a Google key file, extra fields ignored, region optional', () => {
    expect(account()).toEqual({
      projectId: 'my-project-123',
      clientEmail: EMAIL,
      privateKey,
      tokenUri,
      region: undefined,
    });
    expect(account({ region: 'europe-west4' }).region).toBe('europe-west4');
    expect(account({ region: 'global' }).region).toBe('global');
  });

  it('defaults token_uri to Google when the key file omits it', () => {
    expect(account({ token_uri: undefined }).tokenUri).toBe('https://oauth2.googleapis.com/token');
  });

  it('names missing fields', () => {
    const text = keyFile({ private_key: undefined, client_email: undefined });
    expect(() => parseServiceAccount(text)).toThrow(
      'Google service account: client_email: missing or not a string; private_key: missing or not a string',
    );
  });

  it('names bad fields without echoing any value', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ token_uri: 'http://evil.example.com/token' }, 'token_uri: must be an https URL', 'evil.example'],
      [
        { private_key: 'not-a-key-SECRET-123' },
        'private_key: must be a PEM-encoded RSA private key',
        'SECRET',
      ],
      [
        { client_email: 'nobody-SECRET' },
        'client_email: must be the service account e-mail address',
        'SECRET',
      ],
      [{ region: 'Mars SECRET' }, 'region: must be a Google Cloud region such as us-central1', 'SECRET'],
      [{ type: 'authorized_user' }, 'type: must be "service_account"', 'authorized_user'],
      [{ project_id: 42 }, 'project_id: missing or not a string', '42'],
    ];
    for (const [extra, named, value] of cases) {
      let message = '';
      try {
        parseServiceAccount(keyFile(extra), LOCAL);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(named);
      expect(message).not.toContain(value);
      expect(message).not.toContain('PRIVATE KEY');
    }
  });

  it('rejects a non-RSA private key', () => {
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(() => parseServiceAccount(keyFile({ private_key: ec.privateKey }))).toThrow(
      'Google service account: private_key: must be a PEM-encoded RSA private key',
    );
  });

  it('rejects text that is not a JSON object, without quoting it', () => {
    const broken = `{"private_key": "${privateKey.slice(40, 80)}`;
    let message = '';
    try {
      parseServiceAccount(broken);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'Google service account: the key must be JSON with project_id, client_email, private_key and token_uri',
    );
    expect(() => parseServiceAccount('"just a string"')).toThrow(
      'Google service account: the key must be a JSON object',
    );
  });
});

describe('GoogleTokenSource', () => {
  it('exchanges a signed JWT-bearer assertion for an access token', async () => {
    const c = clock();
    const source = new GoogleTokenSource({ now: c.now });
    await expect(source.token(account())).resolves.toBe('ya29.token-1');
    const iat = Math.floor(T0 / 1000);
    expect(seen).toEqual([
      {
        contentType: 'application/x-www-form-urlencoded',
        grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        header: { alg: 'RS256', typ: 'JWT' },
        claims: {
          iss: EMAIL,
          scope: 'https://www.googleapis.com/auth/cloud-platform',
          aud: tokenUri,
          iat,
          exp: iat + 3600,
        },
      },
    ]);
  });

  it('caches: two calls in a row make one exchange', async () => {
    const source = new GoogleTokenSource({ now: clock().now });
    expect(await source.token(account())).toBe('ya29.token-1');
    expect(await source.token(account())).toBe('ya29.token-1');
    expect(seen).toHaveLength(1);
  });

  it('concurrent calls for one key share one exchange', async () => {
    answer.delayMs = 50;
    const source = new GoogleTokenSource({ now: clock().now });
    const tokens = await Promise.all([
      source.token(account()),
      source.token(account()),
      source.token(account()),
    ]);
    expect(tokens).toEqual(['ya29.token-1', 'ya29.token-1', 'ya29.token-1']);
    expect(seen).toHaveLength(1);
  });

  it('keeps different keys apart', async () => {
    const source = new GoogleTokenSource({ now: clock().now });
    expect(await source.token(account())).toBe('ya29.token-1');
    expect(
      await source.token(account({ client_email: 'second@my-project-123.iam.gserviceaccount.com' })),
    ).toBe('ya29.token-2');
    expect(seen).toHaveLength(2);
  });

  it('refreshes five minutes before expiry', async () => {
    answer.body = okBody(3600);
    const c = clock();
    const source = new GoogleTokenSource({ now: c.now });
    expect(await source.token(account())).toBe('ya29.token-1');
    c.advance((3600 - 301) * 1000);
    expect(await source.token(account())).toBe('ya29.token-1');
    c.advance(2000);
    expect(await source.token(account())).toBe('ya29.token-2');
    expect(seen).toHaveLength(2);
    expect((seen[1]!.claims as { iat: number }).iat).toBe(Math.floor(T0 / 1000) + 3600 - 299);
  });

  it('reports invalid_grant without the key, and does not cache the failure', async () => {
    const source = new GoogleTokenSource({ now: clock().now });
    const wrongKey = account({ private_key: other.privateKey });
    const err = await source.token(wrongKey).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('Google token exchange failed: HTTP 400 invalid_grant: Invalid JWT Signature.');
    expect(err?.message).not.toContain('PRIVATE KEY');

    answer = { status: 400, body: JSON.stringify({ error: 'invalid_grant' }), delayMs: 0 };
    await expect(source.token(account())).rejects.toThrow(
      'Google token exchange failed: HTTP 400 invalid_grant',
    );
    expect(seen).toHaveLength(1);
    answer = { status: 200, body: okBody(), delayMs: 0 };
    await expect(source.token(account())).resolves.toBe('ya29.token-2');
    expect(seen).toHaveLength(2);
  });

  it('a failed exchange rejects every caller that shared it', async () => {
    answer = { status: 503, body: 'upstream connect error', delayMs: 30 };
    const source = new GoogleTokenSource({ now: clock().now });
    const results = await Promise.allSettled([source.token(account()), source.token(account())]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual([
      'Google token exchange failed: HTTP 503',
      'Google token exchange failed: HTTP 503',
    ]);
    expect(seen).toHaveLength(1);
  });

  it('does not quote a 2xx answer that lacks a token', async () => {
    answer.body = JSON.stringify({ id_token: 'eyJ-secret-ish', expires_in: 3600 });
    const source = new GoogleTokenSource({ now: clock().now });
    await expect(source.token(account())).rejects.toThrow(
      /^Google token exchange failed: the answer has no access_token\/expires_in$/,
    );
  });

  it('uses an injected fetch and reports network failures', async () => {
    const calls: string[] = [];
    const failing: typeof fetch = async (input) => {
      calls.push(String(input));
      throw new TypeError('fetch failed');
    };
    const source = new GoogleTokenSource({ fetch: failing, now: clock().now });
    await expect(source.token(account())).rejects.toThrow('Google token exchange failed: fetch failed');
    expect(calls).toEqual([tokenUri]);
    expect(seen).toHaveLength(0);
  });

  it('bounds the cache, forgetting the oldest key first', async () => {
    const source = new GoogleTokenSource({ now: clock().now, maxEntries: 2 });
    const a = account({ client_email: 'a@p.iam.gserviceaccount.com' });
    const b = account({ client_email: 'b@p.iam.gserviceaccount.com' });
    const c = account({ client_email: 'c@p.iam.gserviceaccount.com' });
    expect(await source.token(a)).toBe('ya29.token-1');
    expect(await source.token(b)).toBe('ya29.token-2');
    expect(await source.token(c)).toBe('ya29.token-3');
    expect(await source.token(c)).toBe('ya29.token-3');
    expect(await source.token(b)).toBe('ya29.token-2');
    expect(await source.token(a)).toBe('ya29.token-4');
    expect(seen).toHaveLength(4);
  });
});
