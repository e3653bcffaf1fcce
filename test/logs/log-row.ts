import type { LogRow } from '../../src/logs/writer.ts';

/** A log row whose columns vary with `i` (nulls, floats, flags), for the sink and codec tests. */
export const row = (i: number): LogRow => ({
  id: `log-${String(i).padStart(4, '0')}`,
  account_id: 'local',
  gateway_id: 'default',
  created_at: 1_700_000_000_000 + i,
  provider: 'openai',
  model: i % 2 ? 'gpt-4o-mini' : null,
  path: 'chat/completions',
  method: 'POST',
  status_code: 200,
  success: 1,
  cached: 0,
  cache_key: i % 5 === 0 ? `${String(i).padStart(4, '0')}`.repeat(16) : null,
  duration: i,
  upstream_duration: i % 4 === 0 ? null : Math.floor(i / 2),
  upstream_first_byte: i % 4 === 0 ? null : Math.floor(i / 3),
  tokens_in: i,
  tokens_out: null,
  event_id: `evt-${i}`,
  request_id: `req-${i}`,
  metadata: i === 3 ? '{"user":"u1"}' : null,
  step: i % 3 === 0 ? null : i % 3,
  attempt: 1 + (i % 2),
  cost: i === 2 ? 0.001_5 : null,
  custom_cost: i === 7 ? 1 : 0,
  saved_cost: i === 4 ? 0.000_25 : null,
  feedback: null,
  score: null,
  request_content_type: 'application/json',
  response_content_type: i % 2 ? 'text/event-stream' : 'application/json',
  request_size: 100 + i,
  response_size: 200 + i,
  user_agent: 'test/1.0',
  authentication: i % 2,
  model_type: 'chat',
  compat: 0,
  request_head: '{"content-type":"application/json"}',
  response_head: null,
  request_type: 'provider',
  error: i === 5 ? 'openai answered 503' : null,
});

/** `n` rows with a small request and response body each (for the sinks' payload tables). */
export const rowsWithBodies = (n: number): LogRow[] =>
  Array.from({ length: n }, (_, i) => ({
    ...row(i),
    payload: {
      request: Buffer.from('{}'),
      response: Buffer.from('{"ok":1}'),
      requestTruncated: false,
      responseTruncated: false,
    },
  }));
