import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  region?: string | undefined;
}

const credentialsSchema = z
  .object({
    accessKeyId: z
      .string()
      .regex(/^[A-Z0-9]{4,128}$/, 'an AWS access key id (upper-case letters and digits)'),
    secretAccessKey: z.string().min(16).max(256),
    sessionToken: z.string().min(1).max(8192).optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')
      .optional(),
  })
  .strict();

/** A stored Bedrock secret that is AWS credentials: `{"accessKeyId", "secretAccessKey", "sessionToken"?, "region"?}`. */
export function parseAwsCredentials(secret: string): AwsCredentials {
  let value: unknown;
  try {
    value = JSON.parse(secret);
  } catch {
    throw new Error(
      'AWS credentials must be JSON: {"accessKeyId", "secretAccessKey", "sessionToken"?, "region"?}',
    );
  }
  const r = credentialsSchema.safeParse(value);
  if (!r.success) {
    // Name the fields, never echo the values: this is a secret.
    throw new Error(
      `AWS credentials: ${r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.code === 'invalid_type' ? 'missing or not a string' : i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX, upper-case (SigV4's rule). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The canonical URI: every segment of the path as sent, encoded once more. The path a client
 * sends is already percent-encoded (a Bedrock model id's `:` travels as `%3A`), and for every
 * service but S3 AWS signs the path encoded twice, so `%3A` is signed as `%253A`.
 */
function canonicalUri(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
}

function canonicalQuery(search: URLSearchParams): string {
  return [...search]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface SignOptions {
  region: string;
  service: string;
  now?: Date;
  /** Adds and signs `x-amz-content-sha256` (Bedrock and most services accept it). Default true. */
  contentSha256Header?: boolean;
}

/**
 * AWS Signature Version 4 for one request. Returns the headers to add: `authorization`,
 * `x-amz-date`, and `x-amz-content-sha256` / `x-amz-security-token` where they apply. Every
 * header passed in is signed, so pass only those that will be sent unchanged (host included).
 */
export function signAwsRequest(
  req: { method: string; url: URL; headers: Record<string, string>; body: Buffer | string },
  creds: AwsCredentials,
  opts: SignOptions,
): Record<string, string> {
  const now = opts.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256(req.body);
  const added: Record<string, string> = { 'x-amz-date': amzDate };
  if (opts.contentSha256Header !== false) added['x-amz-content-sha256'] = payloadHash;
  if (creds.sessionToken) added['x-amz-security-token'] = creds.sessionToken;

  const all = new Map<string, string>();
  for (const [name, value] of Object.entries({ host: req.url.host, ...req.headers, ...added })) {
    all.set(name.toLowerCase(), value.trim().replace(/\s+/g, ' '));
  }
  const names = [...all.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.url.pathname),
    canonicalQuery(req.url.searchParams),
    names.map((n) => `${n}:${all.get(n)}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${opts.region}/${opts.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), opts.region), opts.service),
    'aws4_request',
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  added['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}
