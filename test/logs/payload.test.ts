import { describe, expect, it } from 'vitest';
import { payloadRow, unpack } from '../../src/logs/payload.ts';
import type { LogRow } from '../../src/logs/writer.ts';

const rowWith = (request: Buffer | null, response: Buffer | null) =>
  ({
    id: 'l1',
    account_id: 'local',
    gateway_id: 'default',
    payload: { request, response, requestTruncated: false, responseTruncated: true },
  }) as LogRow;

describe('stored log bodies', () => {
  it('small bodies are stored as they are, large ones compressed; both read back exactly', () => {
    const small = Buffer.from('{"model":"gpt-4o-mini"}');
    const large = Buffer.from(`data: ${'{"delta":"token"} '.repeat(2000)}\n\n`);
    const p = payloadRow(rowWith(small, large))!;
    expect(p.request!.length).toBe(small.length + 1);
    expect(p.response!.length).toBeLessThan(large.length / 10);
    expect(unpack(p.request)!.equals(small)).toBe(true);
    expect(unpack(p.response)!.equals(large)).toBe(true);
    expect(p.response_truncated).toBe(1);
  });

  it('a row without bodies stores no payload row', () => {
    expect(payloadRow(rowWith(null, null))).toBeUndefined();
    expect(payloadRow({ id: 'x' } as LogRow)).toBeUndefined();
  });
});
