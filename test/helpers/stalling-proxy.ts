import { connect, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  /** Where clients connect instead of the target. */
  port: number;
  /** The first bytes each client sent (for Postgres, its startup packet), in connection order. */
  firstPackets: Buffer[];
  /**
   * With `postgres: true` only: from now on the server's NotificationResponse messages are not
   * delivered, as behind a pooler in transaction mode, where a LISTEN does nothing.
   */
  dropNotifications(): void;
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
export async function startStallingProxy(
  targetPort: number,
  opts: { postgres?: boolean } = {},
): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: Array<[Socket, Buffer]> = [];
  const severed = new WeakSet<Socket>();
  let stalled = false;
  let dropNotifications = false;
  /**
   * The server's side of a Postgres connection, cut into whole messages (a type byte, then a
   * length that counts itself), so that NotificationResponses ('A') can be left out.
   */
  const postgresMessages = () => {
    let pending = Buffer.alloc(0);
    return (d: Buffer): Buffer => {
      pending = Buffer.concat([pending, d]);
      const out: Buffer[] = [];
      while (pending.length >= 5) {
        const size = 1 + pending.readInt32BE(1);
        if (pending.length < size) break;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (!(dropNotifications && message[0] === 0x41)) out.push(message);
      }
      return Buffer.concat(out);
    };
  };
  const forward = (from: Socket, to: Socket, filter?: (d: Buffer) => Buffer) => {
    sockets.add(from);
    from.on('data', (raw: Buffer) => {
      if (severed.has(from)) return;
      const d = filter ? filter(raw) : raw;
      if (d.length === 0) return;
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
    forward(target, client, opts.postgres ? postgresMessages() : undefined);
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
    dropNotifications() {
      if (!opts.postgres)
        throw new Error('dropNotifications needs startStallingProxy(port, { postgres: true })');
      dropNotifications = true;
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
