import { describe, expect, it } from 'vitest';
import { GatewayMetrics, MAX_MODELS, OTHER_MODEL } from '../../src/metrics/gateway-metrics.ts';

const attempt = (model: string) => ({
  gateway: 'default',
  provider: 'openai',
  model,
  status: 200,
  success: true,
  cached: false,
  tokensIn: 1,
  tokensOut: 1,
  cost: 0,
  upstreamSeconds: 0.01,
  overheadSeconds: 0.001,
  firstByteSeconds: 0.005,
  stream: false,
});

describe('the model label of /metrics', () => {
  it('keeps MAX_MODELS models apart and counts the rest under "(other)"', () => {
    const m = new GatewayMetrics({ queueDepth: () => 0, spilled: () => 0, dropped: () => 0 });
    for (let i = 0; i < MAX_MODELS + 50; i++) m.record(attempt(`model-${i}`));
    m.record(attempt('model-0')); // a known model keeps its own series
    const lines = m
      .expose()
      .split('\n')
      .filter((l) => l.startsWith('gatehouse_requests_total{'));
    const models = new Set(lines.map((l) => /model="([^"]*)"/.exec(l)![1]));
    expect(models.size).toBe(MAX_MODELS + 1);
    expect(lines.find((l) => l.includes(`model="${OTHER_MODEL}"`))).toMatch(/ 50$/);
    expect(lines.find((l) => l.includes('model="model-0"'))).toMatch(/ 2$/);
  });
});
