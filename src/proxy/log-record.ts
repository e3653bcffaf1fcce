import type { IncomingHttpHeaders } from 'node:http';
import type { AppContext } from '../server/context.ts';
import type { Exchange } from './exchange.ts';

/** Whether this request is logged: the gateway's `collect_logs`, overridden by `cf-aig-collect-log`. */
function shouldLog(ex: Exchange): boolean {
  if (!ex.gateway) return false;
  return ex.options.collectLog ?? ex.gateway.settings.collect_logs;
}

/** Whether its bodies are kept too: logged, and not `cf-aig-collect-log-payload: false`. */
export function keepsPayload(ex: Exchange): boolean {
  return shouldLog(ex) && ex.options.collectLogPayload !== false;
}

/** Credential headers never reach a log, whichever provider they are meant for. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'xi-api-key',
  'x-amz-security-token',
  'cookie',
  'set-cookie',
]);

/**
 * `head[name] = value`, except that a header named `__proto__` becomes a property like any other
 * (plain assignment would try to set the prototype and drop it). A prototype-free object would do
 * the same, but V8 keeps those in dictionary mode and this runs for every logged request.
 */
function put<V>(head: Record<string, V>, name: string, value: V): void {
  if (name === '__proto__') Object.defineProperty(head, name, { value, enumerable: true, writable: true });
  else head[name] = value;
}

/** Token counts are stored as 32-bit integers, and two of them (in and out) summed by the `tokens` filter. */
const MAX_TOKENS = 1_000_000_000;
const MAX_INT32 = 2_147_483_647;

/**
 * A count for an integer column: whole, and within 32 bits. A provider's bogus usage (3.5 tokens,
 * 1e12) is stored as the nearest count that fits; as it came, it failed the whole log batch on
 * Postgres, for good.
 */
function int32(n: number | null, max: number): number | null {
  return n === null ? null : Math.min(Math.round(n), max);
}

/**
 * Characters kept of the indexed text a client chooses (the model, an unknown provider's name).
 * A Postgres index entry holds at most ~2.7 KB, and a longer one failed the whole log batch it
 * sat in; 512 characters stay under that in any script.
 */
const MAX_INDEXED_CHARS = 512;

function clip<T extends string | null>(text: T): T {
  return text !== null && text.length > MAX_INDEXED_CHARS ? (text.slice(0, MAX_INDEXED_CHARS) as T) : text;
}

function requestHead(ex: Exchange): string {
  const own = ex.provider?.authHeaders ?? [];
  const head: Record<string, string> = {};
  const h = ex.forwardHeaders;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!.toLowerCase();
    put(head, name, SECRET_HEADERS.has(name) || own.includes(name) ? '[redacted]' : h[i + 1]!);
  }
  return JSON.stringify(head);
}

function responseHead(headers: IncomingHttpHeaders | undefined): string | null {
  if (!headers) return null;
  const head: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) put(head, name, SECRET_HEADERS.has(name) ? '[redacted]' : value);
  }
  return JSON.stringify(head);
}

function first(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

/** What kind of model a provider path calls, for the `model_type` filter. */
export function modelType(path: string): string | null {
  if (/embed/i.test(path)) return 'embeddings';
  if (/chat|messages|completions|generateContent|converse|responses|invoke/i.test(path)) return 'chat';
  if (/image|generations/i.test(path)) return 'images';
  if (/audio|speech|transcri/i.test(path)) return 'audio';
  return null;
}

/** The response body as captured; a single chunk (most JSON answers) as is, without a copy. */
function capturedBody(ex: Exchange): Buffer | null {
  const chunks = ex.captured;
  if (chunks.length === 0) return null;
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, ex.capturedBytes);
}

/** Queues the log row; the writer stores it in a later batch, never on the response path. */
export function recordLog(app: AppContext, ex: Exchange): void {
  if (!shouldLog(ex)) return;
  const usage = ex.facts?.usage;
  const limit = app.config.logs.maxBodyBytes;
  const body = ex.body;
  const payload =
    keepsPayload(ex) && limit > 0
      ? {
          request: body && body.length > 0 ? body.subarray(0, limit) : null,
          response: capturedBody(ex),
          requestTruncated: (body?.length ?? 0) > limit,
          responseTruncated: ex.captureTruncated,
        }
      : undefined;
  app.logs.enqueue({
    id: ex.logId,
    account_id: ex.route.accountId,
    gateway_id: ex.gateway!.id,
    created_at: ex.createdAt,
    provider: ex.provider?.slug ?? clip(ex.route.provider ?? ''),
    model: clip(ex.model()),
    path: ex.route.path,
    method: ex.method,
    status_code: ex.status,
    success: ex.succeeded ? 1 : 0,
    cached: ex.cached ? 1 : 0,
    cache_key: ex.cacheKey,
    duration: ex.durationMs,
    // upstreamMs stays 0 (reset per attempt) unless attempt() made the provider call; a hit makes none.
    upstream_duration: ex.cached || ex.upstreamMs === 0 ? null : Math.round(ex.upstreamMs),
    upstream_first_byte: ex.upstreamFirstByteMs === null ? null : Math.round(ex.upstreamFirstByteMs),
    tokens_in: int32(usage?.tokensIn ?? null, MAX_TOKENS),
    tokens_out: int32(usage?.tokensOut ?? null, MAX_TOKENS),
    event_id: ex.eventId,
    request_id: ex.requestId,
    metadata: ex.options.metadata ? JSON.stringify(ex.options.metadata) : null,
    step: ex.step,
    attempt: ex.attempt,
    cost: ex.cost?.cost ?? null,
    custom_cost: ex.cost?.custom ? 1 : 0,
    saved_cost: ex.cost?.saved ?? null,
    request_type: ex.step !== null ? 'universal' : ex.compat ? 'compat' : 'provider',
    error: ex.error ?? ex.facts?.error ?? null,
    feedback: null,
    score: null,
    request_content_type: ex.contentType ?? null,
    response_content_type: first(ex.upstreamHead?.['content-type']),
    request_size: body?.length ?? 0,
    response_size: int32(ex.responseBytes, MAX_INT32),
    user_agent: ex.header('user-agent') ?? null,
    authentication: ex.caller ? 1 : 0,
    model_type: modelType(ex.route.path),
    compat: ex.compat ? 1 : 0,
    request_head: requestHead(ex),
    response_head: responseHead(ex.upstreamHead),
    payload,
  });
}
