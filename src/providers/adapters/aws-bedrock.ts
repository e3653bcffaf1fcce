import { own } from '../../util/own.ts';
import { createAnthropicStreamReader, isAnthropicFrame } from '../formats/anthropic.ts';
import { readBedrockJson } from '../formats/bedrock.ts';
import { createOpenAiStreamReader } from '../openai-compatible.ts';
import { defineProvider } from '../shared/define.ts';
import { hostLabelReason, joinUrl, splitSegments, unsafePathReason } from '../shared/path.ts';
import { createSniffingReader } from '../shared/sniff.ts';
import { decodeSegment, modelFromBody } from '../shared/values.ts';
import type { ResolvedUrl, UpstreamRequest } from '../types.ts';

/** The two Bedrock inference endpoints a gateway path can name, and their per-region hosts. */
const HOSTS: Readonly<Record<string, (region: string) => string>> = Object.freeze({
  'bedrock-runtime': (region: string) => `https://bedrock-runtime.${region}.amazonaws.com`,
  'bedrock-mantle': (region: string) => `https://bedrock-mantle.${region}.api.aws`,
});

const SHAPE = 'aws-bedrock paths start with bedrock-runtime/{region}/ or bedrock-mantle/{region}/';

/**
 * `bedrock-runtime/{region}/{rest}` → `https://bedrock-runtime.{region}.amazonaws.com/{rest}`;
 * `bedrock-mantle/{region}/{rest}` → `https://bedrock-mantle.{region}.api.aws/{rest}`.
 * An operator override replaces the scheme and host.
 */
function resolveBedrockUrl(r: UpstreamRequest): ResolvedUrl {
  const unsafe = unsafePathReason(r.path);
  if (unsafe) return { ok: false, message: unsafe };
  const parts = splitSegments(r.path, 2);
  const [service, region] = parts?.head ?? [];
  const host = service !== undefined ? own(HOSTS, service) : undefined;
  if (!parts || !host || region === undefined) return { ok: false, message: SHAPE };
  const bad = hostLabelReason(region, 'AWS region');
  if (bad) return { ok: false, message: bad };
  return joinUrl(r.baseUrl ?? host(region), parts.rest, r.search);
}

/** `model/{modelId}/invoke|converse|…`; the id is percent-encoded (`…-v1%3A0`, inference profile ARNs). */
const MODEL_PATH =
  /(?:^|\/)model\/([^/]+)\/(?:invoke|invoke-with-response-stream|converse|converse-stream|count-tokens)(?:$|\/)/;

/**
 * Amazon Bedrock. JSON bodies from InvokeModel, Converse and Mantle are read by their shape. Streams
 * from InvokeModelWithResponseStream and ConverseStream are binary `application/vnd.amazon.eventstream`
 * frames, not SSE: the tee reads them with `formats/bedrock-eventstream.ts`. Mantle streams are SSE in OpenAI's or
 * Anthropic's dialect. Bedrock also reports usage in `x-amzn-bedrock-*-token-count` response
 * headers, which the adapter contract does not see.
 */
export const awsBedrock = defineProvider({
  slug: 'aws-bedrock',
  name: 'Amazon Bedrock',
  defaultBaseUrl: 'https://bedrock-runtime.{region}.amazonaws.com',
  // SigV4 signs with `authorization` (+ `x-amz-security-token` for temporary credentials);
  // Bedrock API keys are `Authorization: Bearer`.
  authHeaders: ['authorization', 'x-amz-security-token'],
  resolveUrl: resolveBedrockUrl,
  modelFromRequest(path, body) {
    const m = MODEL_PATH.exec(path);
    return m?.[1] ? decodeSegment(m[1]) : modelFromBody(body);
  },
  readJson: readBedrockJson,
  createStreamReader: () =>
    createSniffingReader((event, data) =>
      isAnthropicFrame(event, data) ? createAnthropicStreamReader() : createOpenAiStreamReader(),
    ),
});
