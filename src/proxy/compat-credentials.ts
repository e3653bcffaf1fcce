import { geminiTarget } from '../compat/targets/gemini/index.ts';
import type { ChatTarget } from '../compat/types.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { credentialHeader } from '../keys/apply.ts';
import { parseServiceAccount, type ServiceAccount } from '../keys/google-service-account.ts';

/*
 * Where each provider wants the credential a `/compat` client sends as its SDK's apiKey
 * (`Authorization: Bearer …`), and what that credential says about where to send the request.
 */

/** The Messages API version `/compat` speaks to Anthropic when the client names none. */
const ANTHROPIC_VERSION = '2023-06-01';

/** Bedrock on `/compat`: the region when the credentials name none. */
export const DEFAULT_BEDROCK_REGION = 'us-east-1';

export function headerIndex(headers: string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return i;
  return -1;
}

/**
 * `Authorization: Bearer {key}` (the SDK's apiKey) → the header this provider takes its key in, the
 * same one a stored key goes in; plus Anthropic's version header.
 */
export function moveCredential(headers: string[], slug: string): void {
  const i = headerIndex(headers, 'authorization');
  if (i >= 0) {
    const [name, value] = credentialHeader(slug, headers[i + 1]!.replace(/^bearer\s+/i, ''));
    if (name !== 'authorization' && headerIndex(headers, name) < 0) {
      headers.splice(i, 2);
      headers.push(name, value);
    }
  }
  if (slug === 'anthropic' && headerIndex(headers, 'anthropic-version') < 0)
    headers.push('anthropic-version', ANTHROPIC_VERSION);
}

/** Vertex AI on `/compat`: the region when the service-account JSON names none. */
export const DEFAULT_VERTEX_REGION = 'us-central1';

/**
 * Vertex AI on `/compat` takes the service-account key JSON as the bearer value (SPEC.md §2): its
 * project and optional `region` place the request; the gateway exchanges it for an access token.
 */
export function vertexAccount(headers: string[], allowHosts: readonly string[]): ServiceAccount {
  const i = headerIndex(headers, 'authorization');
  const value = i >= 0 ? headers[i + 1]!.replace(/^bearer\s+/i, '') : '';
  if (!value.trimStart().startsWith('{')) {
    throw new GatewayError(
      'credentialsRequired',
      'google-vertex-ai on /compat takes the service-account key JSON as the bearer value (the SDK apiKey); a raw access token is not accepted',
    );
  }
  try {
    return parseServiceAccount(value, { allowHosts });
  } catch (err) {
    throw new GatewayError('credentialsRequired', (err as Error).message);
  }
}

export function vertexTarget(account: ServiceAccount): ChatTarget {
  const region = account.region ?? DEFAULT_VERTEX_REGION;
  return geminiTarget(
    'google-vertex-ai',
    `v1/projects/${encodeURIComponent(account.projectId)}/locations/${region}/publishers/google/models/`,
  );
}

/** The region named by AWS credentials sent as the bearer value, else the default. */
export function bedrockRegion(headers: string[]): string {
  const i = headerIndex(headers, 'authorization');
  const value = i >= 0 ? headers[i + 1]!.replace(/^bearer\s+/i, '') : '';
  if (value.startsWith('{')) {
    try {
      const region = (JSON.parse(value) as { region?: unknown }).region;
      if (typeof region === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) return region;
    } catch {
      // Not JSON after all: signing reports it.
    }
  }
  return DEFAULT_BEDROCK_REGION;
}

/** Replaces the service-account JSON in `Authorization` with an access token for it. */
export async function useServiceAccount(
  app: { googleTokens: { token(account: ServiceAccount): Promise<string> } },
  headers: string[],
  account: ServiceAccount,
): Promise<void> {
  let token: string;
  try {
    token = await app.googleTokens.token(account);
  } catch (err) {
    throw new GatewayError('credentialsRequired', `google-vertex-ai: ${(err as Error).message}`);
  }
  const i = headerIndex(headers, 'authorization');
  if (i >= 0) headers.splice(i, 2);
  headers.push('authorization', `Bearer ${token}`);
}
