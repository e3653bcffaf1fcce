import type { Exchange } from '../proxy/exchange.ts';
import { modelType } from '../proxy/log-record.ts';
import { attr, newSpanId, newTraceId, type Span } from './exporter.ts';

/** Prompt and completion attributes are cut here: spans are not a body store. */
const MAX_BODY_ATTR = 32 * 1024;

/**
 * `gen_ai.provider.name` as OpenTelemetry's GenAI conventions spell the providers they list; any
 * other provider by its Gatehouse slug. (`gen_ai.model.provider`, the hosted product's attribute,
 * keeps the slug.)
 */
const SEMCONV_PROVIDERS: Record<string, string> = {
  'aws-bedrock': 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  'google-ai-studio': 'gcp.gemini',
  'google-vertex-ai': 'gcp.vertex_ai',
  grok: 'x_ai',
  mistral: 'mistral_ai',
  'perplexity-ai': 'perplexity',
};

/** `gen_ai.operation.name`, for the kinds of call the conventions name. */
const OPERATIONS: Record<string, string> = { chat: 'chat', embeddings: 'embeddings' };

const nanos = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;

function bodyText(b: Buffer | undefined): string | undefined {
  if (!b || b.length === 0) return undefined;
  return b.subarray(0, MAX_BODY_ATTR).toString('utf8');
}

/**
 * One attempt as a span (SPEC §13): the `gen_ai.*` attributes, the cost, every `cf-aig-metadata`
 * entry whose key does not start with `gen_ai.`, continuing the client's trace when it sent
 * `cf-aig-otel-trace-id` / `cf-aig-otel-parent-span-id`. Bodies only when payloads are kept.
 */
export function requestSpan(ex: Exchange, withBodies: boolean): Span {
  const usage = ex.facts?.usage;
  const end = Date.now();
  const start = ex.createdAt;
  const response =
    withBodies && ex.captured.length > 0 ? Buffer.concat(ex.captured, ex.capturedBytes) : undefined;
  const provider = ex.provider?.slug ?? ex.route.provider;
  const attributes = [
    attr('gen_ai.request.model', ex.model()),
    attr('gen_ai.model.provider', provider),
    // OpenTelemetry's GenAI conventions, for backends that read those.
    attr('gen_ai.provider.name', provider && (SEMCONV_PROVIDERS[provider] ?? provider)),
    attr('gen_ai.operation.name', OPERATIONS[modelType(ex.route.path) ?? '']),
    attr('gen_ai.response.model', ex.facts?.model ?? undefined),
    attr('gen_ai.usage.input_tokens', usage?.tokensIn),
    attr('gen_ai.usage.output_tokens', usage?.tokensOut),
    attr('gen_ai.usage.cost', ex.cost?.cost ?? undefined),
    attr('gen_ai.prompt_json', withBodies ? bodyText(ex.body) : undefined),
    attr('gen_ai.completion_json', bodyText(response)),
    attr('http.response.status_code', ex.status),
    // The status when it says what failed; `_OTHER` (the conventions' fallback) for an error inside a 200 stream.
    attr('error.type', ex.succeeded ? undefined : ex.status >= 400 ? String(ex.status) : '_OTHER'),
    attr('gatehouse.gateway', ex.gateway?.id),
    attr('gatehouse.log_id', ex.logId),
    attr('gatehouse.event_id', ex.eventId),
    attr('gatehouse.cached', ex.cached),
    attr('gatehouse.attempt', ex.attempt),
    attr('gatehouse.step', ex.step),
    ...Object.entries(ex.options.metadata ?? {})
      .filter(([k]) => !k.startsWith('gen_ai.'))
      .map(([k, v]) => attr(k, v)),
  ].filter((a) => a !== undefined);
  const error = ex.error ?? ex.facts?.error;
  ex.traceId ??= ex.options.otelTraceId ?? newTraceId();
  return {
    traceId: ex.traceId,
    spanId: newSpanId(),
    ...(ex.options.otelParentSpanId ? { parentSpanId: ex.options.otelParentSpanId } : {}),
    name: `${ex.provider?.slug ?? 'gateway'} ${ex.model() ?? ex.route.path}`,
    kind: 3,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(Math.max(end, start)),
    attributes,
    status: ex.succeeded ? { code: 1 } : { code: 2, ...(error ? { message: error } : {}) },
  };
}
