import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { splitRequestHeaders } from '../http/headers.ts';
import type { ProviderAdapter } from '../providers/types.ts';
import type { StepConfig } from '../resilience/policy.ts';
import { MAX_ATTEMPTS, MAX_DELAY_MS } from '../resilience/policy.ts';
import type { AppContext } from '../server/context.ts';
import { explainDepth, MAX_JSON_DEPTH } from '../util/json-depth.ts';
import { type AigOptions, readOptions } from './options.ts';
import type { DataPlaneRoute } from './route.ts';
import { resolveProvider, resolveUpstreamUrl } from './stages.ts';

/** More steps than this is a loop written by mistake, not a fallback chain. */
export const MAX_STEPS = 10;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const stepSchema = z
  .object({
    provider: z.string().min(1).max(64),
    endpoint: z.string().max(4096),
    headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** The provider-native request body; a string is sent as is, anything else as JSON. */
    query: z.unknown(),
    /** Named in the hosted product's prose; every example uses `headers.Authorization` instead. */
    authorization: z.string().optional(),
    config: z
      .object({
        requestTimeout: int(1, 3_600_000).optional(),
        maxAttempts: int(1, MAX_ATTEMPTS).optional(),
        retryDelay: int(0, MAX_DELAY_MS).optional(),
        backoff: z.enum(['constant', 'linear', 'exponential']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** One step of a universal request, resolved and validated before anything is sent. */
export interface UniversalStep {
  index: number;
  route: DataPlaneRoute;
  provider: ProviderAdapter;
  url: URL;
  forwardHeaders: string[];
  contentType: string | undefined;
  body: Buffer;
  options: AigOptions;
  config: StepConfig | undefined;
  /** Set when the gateway signed this step (SigV4): the credentials, for the cache key. */
  signedWith?: string | undefined;
}

function invalid(detail: string): GatewayError {
  return new GatewayError('invalidBody', detail);
}

function describeIssue(issue: z.core.$ZodIssue, stepCount: number): string {
  const [first, ...rest] = issue.path;
  const where =
    stepCount === 1 && typeof first !== 'number'
      ? [first, ...rest].filter((p) => p !== undefined).join('.')
      : `step ${String(first)}${rest.length ? `: ${rest.join('.')}` : ''}`;
  return `${where || 'body'}: ${issue.message}`;
}

/**
 * Reads `POST /v1/{account}/{gateway}`: a JSON array of steps, or one step object (SPEC.md §3).
 * Every step is checked (provider, path, headers, config) before the first is tried, so a typo in
 * step 2 is a 400 now rather than a surprise during an outage.
 *
 * Header precedence: a step's own headers, then the request's `cf-aig-*` headers, then the
 * gateway's settings. Provider credentials come from the step only: the request's other headers
 * are not copied into steps, so one provider's key never travels to another provider.
 */
export function parseUniversalRequest(
  app: AppContext,
  base: DataPlaneRoute,
  requestGatewayHeaders: ReadonlyMap<string, string>,
  body: Buffer | undefined,
): UniversalStep[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    throw invalid(
      'the universal endpoint takes a JSON array of steps {provider, endpoint, headers, query, config?}, or one such object',
    );
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0) throw invalid('the array of steps is empty; give at least one step');
  if (list.length > MAX_STEPS) throw invalid(`at most ${MAX_STEPS} steps; got ${list.length}`);
  const result = z.array(stepSchema).safeParse(list);
  if (!result.success) {
    throw invalid(result.error.issues.map((i) => describeIssue(i, list.length)).join('; '));
  }
  return result.data.map((step, index) => {
    try {
      return resolveStep(app, base, requestGatewayHeaders, step, index);
    } catch (err) {
      const explained = explainDepth(err, body?.toString('utf8') ?? '', (depth) =>
        invalid(
          `the body nests ${depth} levels deep, too deep to pass on; keep it under ${MAX_JSON_DEPTH} levels`,
        ),
      );
      throw explained instanceof GatewayError ? explained.within(`step ${index}`) : explained;
    }
  });
}

function resolveStep(
  app: AppContext,
  base: DataPlaneRoute,
  requestGatewayHeaders: ReadonlyMap<string, string>,
  step: z.infer<typeof stepSchema>,
  index: number,
): UniversalStep {
  const endpoint = step.endpoint.replace(/^\/+/, '');
  const q = endpoint.indexOf('?');
  const route: DataPlaneRoute = {
    accountId: base.accountId,
    gatewayId: base.gatewayId,
    provider: step.provider,
    path: q === -1 ? endpoint : endpoint.slice(0, q),
    search: q === -1 ? '' : endpoint.slice(q),
  };
  const provider = resolveProvider(app, route);
  const url = resolveUpstreamUrl(app, provider, route);

  const raw: string[] = [];
  for (const [name, value] of Object.entries(step.headers ?? {})) raw.push(name, String(value));
  const hasAuth = raw.some((v, i) => i % 2 === 0 && v.toLowerCase() === 'authorization');
  if (step.authorization !== undefined && !hasAuth) raw.push('authorization', step.authorization);
  const split = splitRequestHeaders(raw);
  const gatewayHeaders = new Map(requestGatewayHeaders);
  for (const [name, value] of split.gateway) gatewayHeaders.set(name, value);

  const isText = typeof step.query === 'string';
  const body = Buffer.from(isText ? (step.query as string) : JSON.stringify(step.query ?? {}), 'utf8');
  let contentType = headerOf(raw, 'content-type');
  if (contentType === undefined && !isText) {
    contentType = 'application/json';
    split.forward.push('content-type', contentType);
  }
  return {
    index,
    route,
    provider,
    url,
    forwardHeaders: split.forward,
    contentType,
    body,
    options: readOptions(gatewayHeaders),
    config: step.config,
  };
}

function headerOf(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}
