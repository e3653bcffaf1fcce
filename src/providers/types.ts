/**
 * The contract every provider module fulfils. The core never names a provider: it asks the
 * adapter where to send a request, what model it is for, and what usage came back.
 */

/** Token counts as the provider reported them; null where it reported nothing. */
export interface Usage {
  tokensIn: number | null;
  tokensOut: number | null;
  /** Input tokens served from the provider's prompt cache (cache read). */
  cachedTokensIn: number | null;
  /** Input tokens written to the provider's prompt cache (Anthropic cache creation). */
  cacheWriteTokensIn: number | null;
  /** Output tokens spent on reasoning, where reported apart. */
  reasoningTokens: number | null;
}

/** What a finished response told us. */
export interface ResponseFacts {
  model: string | null;
  usage: Usage | null;
  /** An error the provider sent inside a 2xx body or stream (e.g. `event: error`), as a short text. */
  error: string | null;
}

/** Where the request goes, computed from the part of the URL after `/{provider}/`. */
export interface UpstreamRequest {
  /** Provider path after `/{provider}/`, without the leading slash, still percent-encoded. */
  path: string;
  /** The query string including `?`, or ''. */
  search: string;
  /** The account id in the gateway URL (Workers AI puts it in the upstream URL). */
  accountId: string;
  /** Operator override of the base URL (config or env), without trailing slash. */
  baseUrl: string | undefined;
}

export type ResolvedUrl = { ok: true; url: string } | { ok: false; message: string };

/** Reads one SSE stream, event by event, as the bytes pass to the client. */
export interface StreamReader {
  /** One SSE event; `event` is '' when the frame had no `event:` line. */
  onEvent(event: string, data: string): void;
  result(): ResponseFacts;
  /**
   * A terminal error frame in this stream's dialect, for a stream cut off mid-way; without one
   * the gateway uses OpenAI's shape, the most common one.
   */
  errorFrame?(message: string): string;
}

export interface ProviderAdapter {
  readonly slug: string;
  /** Human name, for docs and errors. */
  readonly name: string;
  /** The upstream this provider replaces, as in SPEC.md §1 (a template for per-region hosts). */
  readonly defaultBaseUrl: string;
  /** Request headers (lower-case) that carry the provider credential. */
  readonly authHeaders: readonly string[];
  /** The upstream URL for a request, or why the path cannot be sent anywhere. */
  resolveUrl(request: UpstreamRequest): ResolvedUrl;
  /** The model a request is for, from the URL path (Google, Azure, Bedrock, Workers AI) or the JSON body. */
  modelFromRequest(path: string, body: unknown): string | null;
  /** Facts from a complete JSON response body (already parsed). */
  readJson(body: unknown): ResponseFacts;
  /** A fresh reader for one SSE response. */
  createStreamReader(): StreamReader;
}
