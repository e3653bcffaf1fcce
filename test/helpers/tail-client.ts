import { createParser } from 'eventsource-parser';
import type { TestGateway } from './gatehouse.ts';

export interface TailClient {
  res: Response;
  /** Every `log` event so far, parsed. */
  seen: Array<Record<string, unknown>>;
  /** Resolves once the stream says `ready` (every entry stored after that arrives). */
  ready: Promise<void>;
  /** Waits until `count` entries have arrived, or `timeoutMs` passed. */
  until(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens a gateway's live tail through the API and collects its events. */
export async function openTail(node: TestGateway, gateway: string, filters?: unknown[]): Promise<TailClient> {
  const controller = new AbortController();
  const query = filters ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
  const res = await fetch(`${node.apiUrl}/gateways/${gateway}/logs/tail${query}`, {
    headers: { authorization: `Bearer ${node.adminToken}` },
    signal: controller.signal,
  });
  const seen: Array<Record<string, unknown>> = [];
  let markReady!: () => void;
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  const parser = createParser({
    onEvent: (e) => {
      if (e.event === 'ready') markReady();
      if (e.event === 'log') seen.push(JSON.parse(e.data));
    },
  });
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        parser.feed(decoder.decode(chunk));
    } catch {
      // aborted by close()
    }
  })();
  return {
    res,
    seen,
    ready,
    async until(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}
