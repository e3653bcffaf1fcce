import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startMockUpstream } from '../fixtures/mock-upstream.ts';
import { startGatehouse, type TestGateway } from './gatehouse.ts';

export type MockUpstream = Awaited<ReturnType<typeof startMockUpstream>>;

/** A gateway whose main providers all point at one mock upstream. */
export async function startWithMock(
  env: Record<string, string> = {},
): Promise<{ gw: TestGateway; mock: MockUpstream }> {
  const mock = await startMockUpstream();
  const gw = await startGatehouse({
    GATEHOUSE_UPSTREAM_OPENAI: `${mock.url}/v1`,
    GATEHOUSE_UPSTREAM_ANTHROPIC: mock.url,
    GATEHOUSE_UPSTREAM_GOOGLE_AI_STUDIO: mock.url,
    GATEHOUSE_UPSTREAM_GROQ: `${mock.url}/v1`,
    GATEHOUSE_UPSTREAM_AWS_BEDROCK: mock.url,
    GATEHOUSE_UPSTREAM_COHERE: mock.url,
    GATEHOUSE_UPSTREAM_GOOGLE_VERTEX_AI: mock.url,
    // Workers AI's OpenAI-compatible routes are `{base}/v1/…`, like the mock's.
    GATEHOUSE_UPSTREAM_WORKERS_AI: mock.url,
    ...env,
  });
  return { gw, mock };
}

/**
 * Registers the usual hooks: a gateway and mock for the whole file, the mock's record cleared
 * before each test. Read `ctx.gw` / `ctx.mock` inside tests (they are set once `beforeAll` ran).
 */
export function useGatewayWithMock(env: Record<string, string> = {}): {
  gw: TestGateway;
  mock: MockUpstream;
} {
  const ctx = {} as { gw: TestGateway; mock: MockUpstream };
  beforeAll(async () => {
    Object.assign(ctx, await startWithMock(env));
  });
  afterAll(async () => {
    await ctx.gw?.close();
    await ctx.mock?.close();
  });
  beforeEach(() => ctx.mock?.reset());
  return ctx;
}
