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
    ...env,
  });
  return { gw, mock };
}
