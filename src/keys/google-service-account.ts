import { createHash, createPrivateKey, createSign } from 'node:crypto';
import { z } from 'zod';

/** A Google service-account key, as a client sends it for Vertex AI (plus an optional `region`). */
export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
  region: string | undefined;
}

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_LIFETIME_SECONDS = 3600;
/** A token this close to expiry is not handed out: a long request could outlive it mid-flight. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const EXCHANGE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ENTRIES = 1000;

/** Google's token endpoints, as key files name them. Any other host is refused unless the operator allows it. */
const GOOGLE_TOKEN_HOSTS = new Set(['oauth2.googleapis.com', 'www.googleapis.com', 'accounts.google.com']);

/**
 * The gateway POSTs to `token_uri`, and the key comes from the client: a URL of the client's choice
 * would let any caller make the gateway reach internal services. So: https to Google, or a host the
 * operator lists in `custom_providers.allow_http_hosts` (a private token server, the tests' local one).
 */
function tokenUriProblem(value: string, allowHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an https URL';
  }
  const host = url.hostname.toLowerCase();
  if (allowHosts.includes(host) && (url.protocol === 'https:' || url.protocol === 'http:')) return null;
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (!GOOGLE_TOKEN_HOSTS.has(host))
    return `must be Google's token endpoint (${[...GOOGLE_TOKEN_HOSTS].join(', ')})`;
  return null;
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

// Not strict: real key files also carry private_key_id, client_id, auth_uri, universe_domain, ….
const keyFileSchema = z.object({
  type: z
    .string()
    .refine(
      (t) => t === 'service_account',
      'must be "service_account" (other credential types are not supported)',
    )
    .optional(),
  project_id: z.string().min(1, 'must not be empty').max(128, 'too long'),
  client_email: z
    .string()
    .max(320, 'too long')
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be the service account e-mail address'),
  private_key: z
    .string()
    .max(16_384, 'too long')
    .refine(isRsaPrivateKey, 'must be a PEM-encoded RSA private key'),
  token_uri: z.string().optional(),
  region: z
    .string()
    .regex(/^(global|[a-z]+(-[a-z]+)*\d+)$/, 'must be a Google Cloud region such as us-central1')
    .optional(),
});

/**
 * Parses a service-account key JSON. Errors name the offending fields but never echo a value,
 * not even a fragment: the whole text is a secret, and JSON.parse's own message quotes input.
 */
export function parseServiceAccount(
  text: string,
  options: { allowHosts?: readonly string[] } = {},
): ServiceAccount {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      'Google service account: the key must be JSON with project_id, client_email, private_key and token_uri',
    );
  }
  const r = keyFileSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      if (i.path.length === 0) return 'the key must be a JSON object';
      return `${i.path.join('.')}: ${i.code === 'invalid_type' ? 'missing or not a string' : i.message}`;
    });
    throw new Error(`Google service account: ${problems.join('; ')}`);
  }
  const tokenUri = r.data.token_uri ?? DEFAULT_TOKEN_URI;
  const problem = tokenUriProblem(tokenUri, options.allowHosts ?? []);
  if (problem) throw new Error(`Google service account: token_uri: ${problem}`);
  return {
    projectId: r.data.project_id,
    clientEmail: r.data.client_email,
    privateKey: r.data.private_key,
    tokenUri,
    region: r.data.region,
  };
}

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});

const errorAnswerSchema = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
});

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Google's words go into our error and logs, so keep them short and single-line. */
const tidy = (text: string) =>
  text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 300);

function signedAssertion(account: ServiceAccount, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: account.clientEmail,
      scope: SCOPE,
      aud: account.tokenUri,
      iat,
      exp: iat + JWT_LIFETIME_SECONDS,
    }),
  );
  const input = `${header}.${claims}`;
  const signature = createSign('RSA-SHA256').update(input).sign(account.privateKey);
  return `${input}.${base64url(signature)}`;
}

interface CachedToken {
  accessToken: string;
  refreshAt: number;
}

export interface GoogleTokenSourceOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Distinct keys remembered at once; the oldest is forgotten first. */
  maxEntries?: number;
}

/**
 * Turns service-account keys into OAuth2 access tokens (the JWT-bearer grant, RFC 7523) and
 * caches them per key. Concurrent callers for one key share a single exchange, so a burst of
 * requests with a cold cache makes one call to Google, not one each.
 */
export class GoogleTokenSource {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: GoogleTokenSourceOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  token(account: ServiceAccount): Promise<string> {
    // Hashed so the cache's keys are not yet another copy of the private key.
    const key = createHash('sha256')
      .update(`${account.clientEmail}\u0000${account.tokenUri}\u0000${account.privateKey}`)
      .digest('base64url');
    const cached = this.#cache.get(key);
    if (cached && this.#now() < cached.refreshAt) return Promise.resolve(cached.accessToken);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const exchange = this.#exchange(key, account).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, exchange);
    return exchange;
  }

  async #exchange(key: string, account: ServiceAccount): Promise<string> {
    const startedAt = this.#now();
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: signedAssertion(account, startedAt),
    });
    let response: Response;
    try {
      response = await this.#fetch(account.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Google token exchange failed: ${tidy(reason)}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = errorAnswerSchema.safeParse(json);
      const detail = parsed.success
        ? [parsed.data.error, parsed.data.error_description].filter((s) => s).map((s) => tidy(s!))
        : [];
      throw new Error(
        `Google token exchange failed: HTTP ${response.status}${detail.length ? ` ${detail.join(': ')}` : ''}`,
      );
    }
    const parsed = tokenAnswerSchema.safeParse(json);
    // Never quote a 2xx body: it may hold a token.
    if (!parsed.success)
      throw new Error('Google token exchange failed: the answer has no access_token/expires_in');
    this.#remember(key, {
      accessToken: parsed.data.access_token,
      // Measured from before the request, so network time only makes us refresh earlier.
      refreshAt: startedAt + parsed.data.expires_in * 1000 - REFRESH_MARGIN_MS,
    });
    return parsed.data.access_token;
  }

  #remember(key: string, entry: CachedToken): void {
    // Delete first so a refreshed key moves to the young end of the insertion order.
    this.#cache.delete(key);
    while (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    this.#cache.set(key, entry);
  }
}
