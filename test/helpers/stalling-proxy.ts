import { connect, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  /** Where clients connect instead of the target. */
  port: number;
  /** The first bytes each client sent (for Postgres, its startup packet), in connection order. */
  firstPackets: Buffer[];
  /** From now on nothing gets through either way: the target seems hung, every connection stays open. */
  stall(): void;
  /** Delivers what was held, in order, and forwards again. */
  flow(): void;
  /** Drops every open connection at once, without a word from the target: a network or proxy failing. */
  cut(): void;
  /**
   * The connections open now go silent for good: what either side sends is lost and nothing is
   * closed, as after a partition the server gave up on. New connections work.
   */
  sever(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `targetPort` on loopback that can stop forwarding without closing anything: what a
 * client sees of a server that hangs or of a network that drops packets. No error ever arrives.
 */
export async function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: Array<[Socket, Buffer]> = [];
  const severed = new WeakSet<Socket>();
  let stalled = false;
  const forward = (from: Socket, to: Socket) => {
    sockets.add(from);
    from.on('data', (d: Buffer) => {
      if (severed.has(from)) return;
      if (stalled) held.push([to, d]);
      else to.write(d);
    });
    from.on('error', () => from.destroy());
    from.on('close', () => {
      sockets.delete(from);
      to.destroy();
    });
  };
  const firstPackets: Buffer[] = [];
  const server = createServer((client) => {
    client.once('data', (d: Buffer) => firstPackets.push(d));
    const target = connect(targetPort, '127.0.0.1');
    forward(client, target);
    forward(target, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    firstPackets,
    stall() {
      stalled = true;
    },
    flow() {
      stalled = false;
      for (const [to, d] of held.splice(0)) if (!to.destroyed) to.write(d);
    },
    sever() {
      for (const s of sockets) severed.add(s);
    },
    cut() {
      held.length = 0;
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
