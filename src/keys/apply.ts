import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../gateways/schema.ts';
import type { ProviderAdapter } from '../providers/types.ts';
import type { AigOptions } from '../proxy/options.ts';
import { own } from '../util/own.ts';
import type { ProviderKeyRegistry } from './registry.ts';
import { parseAwsCredentials, signAwsRequest } from './sigv4.ts';

/** How a stored key travels to a provider: its own credential header, in its own shape. */
const CREDENTIAL_HEADER: Record<string, (secret: string) => [string, string]> = {
  anthropic: (s) => ['x-api-key', s],
  'google-ai-studio': (s) => ['x-goog-api-key', s],
  'azure-openai': (s) => ['api-key', s],
  elevenlabs: (s) => ['xi-api-key', s],
  ideogram: (s) => ['api-key', s],
  cartesia: (s) => ['x-api-key', s],
  parallel: (s) => ['x-api-key', s],
  fal: (s) => ['authorization', `Key ${s}`],
};
const bearer = (s: string): [string, string] => ['authorization', `Bearer ${s}`];

/** The header (name, value) that carries `secret` to this provider. */
export function credentialHeader(slug: string, secret: string): [string, string] {
  return (own(CREDENTIAL_HEADER, slug) ?? bearer)(secret);
}

export interface KeyTarget {
  accountId: string;
  gateway: Gateway;
  provider: ProviderAdapter;
  options: AigOptions;
  /** Flat [name, value…] headers going upstream; changed in place. */
  headers: string[];
  method: string;
  /** The provider path of the gateway URL (Bedrock's names the region). */
  path: string;
  url: URL;
  body: Buffer;
}

function hasOwnCredential(headers: string[], provider: ProviderAdapter): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (provider.authHeaders.includes(headers[i]!.toLowerCase())) return true;
  }
  return false;
}

function removeCredentials(headers: string[], provider: ProviderAdapter): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (provider.authHeaders.includes(headers[i]!.toLowerCase())) headers.splice(i, 2);
  }
}

/**
 * BYOK (SPEC.md §12): a request without its own provider key gets the gateway's stored one, the
 * alias it names in `cf-aig-byok-alias` or else the default. A request's own key wins, unless the
 * gateway sets `byok_only`, which replaces it. Stored keys serve only authenticated gateways: on an
 * open gateway anyone who reaches it would spend them.
 *
 * Returns the AWS credentials when the gateway signed the request itself: its `authorization` is
 * then new on every request, and the cache knows the caller by these instead.
 */
export function applyProviderKey(keys: ProviderKeyRegistry, t: KeyTarget): string | undefined {
  const settings = t.gateway.settings;
  const own = hasOwnCredential(t.headers, t.provider);
  if (own && t.provider.slug === 'aws-bedrock' && !settings.byok_only) {
    const sent = bearerCredentials(t.headers);
    if (sent !== undefined) {
      // AWS credentials sent as the bearer value (`/compat` with the OpenAI SDK's apiKey): the gateway signs.
      removeCredentials(t.headers, t.provider);
      signForBedrock(t, sent);
      return sent;
    }
    return undefined;
  }
  if (own && !settings.byok_only) return undefined;
  const slug = t.provider.slug;
  const found = keys.lookup(t.accountId, t.gateway.id, slug, t.options.byokAlias);
  if (found.kind === 'unknown-alias') {
    const list = found.aliases.length > 0 ? [...found.aliases].sort().join(', ') : 'none';
    throw new GatewayError(
      'byokAliasNotFound',
      `provider '${slug}' has no BYOK credential named '${t.options.byokAlias}'; configured aliases: ${list}`,
    );
  }
  if (found.kind === 'none') {
    if (settings.byok_only) {
      throw new GatewayError(
        'credentialsRequired',
        `gateway "${t.gateway.id}" has byok_only set and stores no key for ${slug}; add one under provider_configs`,
      );
    }
    if (!own && t.options.noWholesale) {
      throw new GatewayError(
        'credentialsRequired',
        `cf-aig-no-wholesale is set, the request carries no ${slug} credential and the gateway stores none`,
      );
    }
    return undefined;
  }
  if (!settings.authentication) {
    throw new GatewayError(
      'credentialsRequired',
      `gateway "${t.gateway.id}" stores a ${slug} key but is not authenticated; stored keys are used only with authentication: true`,
    );
  }
  removeCredentials(t.headers, t.provider);
  if (slug === 'aws-bedrock' && found.secret.trimStart().startsWith('{')) {
    signForBedrock(t, found.secret);
    return found.secret;
  }
  const [name, value] = credentialHeader(slug, found.secret);
  t.headers.push(name, value);
  return undefined;
}

/** `Authorization: Bearer {"accessKeyId", …}`: AWS credentials in JSON rather than a Bedrock API key. */
function bearerCredentials(headers: string[]): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'authorization') continue;
    const value = headers[i + 1]!;
    return /^bearer\s+\{/i.test(value) ? value.replace(/^bearer\s+/i, '') : undefined;
  }
  return undefined;
}

/** Stored AWS credentials sign the request (SigV4); a plain stored value is a Bedrock API key. */
function signForBedrock(t: KeyTarget, secret: string): void {
  let creds: ReturnType<typeof parseAwsCredentials>;
  try {
    creds = parseAwsCredentials(secret);
  } catch (err) {
    throw new GatewayError('credentialsRequired', (err as Error).message);
  }
  // The gateway path names the region (`bedrock-runtime/{region}/…`), even when an override moves the host.
  const region = /^bedrock-(?:runtime|mantle)\/([a-z0-9-]+)\//.exec(t.path)?.[1] ?? creds.region;
  if (!region) {
    throw new GatewayError('credentialsRequired', 'the AWS credentials name no region and the URL has none');
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < t.headers.length; i += 2) {
    const name = t.headers[i]!.toLowerCase();
    if (name === 'content-type' || name.startsWith('x-amz-')) headers[name] = t.headers[i + 1]!;
  }
  headers['host'] = t.url.host;
  const signed = signAwsRequest({ method: t.method, url: t.url, headers, body: t.body }, creds, {
    region,
    service: 'bedrock',
  });
  for (const [name, value] of Object.entries(signed)) t.headers.push(name, value);
}
