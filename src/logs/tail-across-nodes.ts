import type { ChangeFeed } from '../db/change-feed.ts';
import type { LogQueries } from './queries.ts';
import type { LogTailHub } from './tail-hub.ts';

/** The most rows read back to fill one gap; the list API has the rest. */
const GAP_ROWS = 5_000;

/**
 * The live tail across nodes (Postgres): each node's log transactions announce the `seq` values
 * they stored, and a node with a tail open on that gateway reads those rows back. Announcements
 * sent while this node's listening connection was down never arrive, so once it listens again it
 * reads what was stored after the last `seq` it knew of and sends what its tails have not had.
 * (Postgres hands out `seq` before commit, so a transaction that committed late, during the gap,
 * with a `seq` below one already announced can still be missed.)
 */
export async function tailAcrossNodes(opts: {
  changes: ChangeFeed;
  queries: LogQueries;
  tail: LogTailHub;
  log: (level: 'warn', message: string) => void;
}): Promise<void> {
  const { changes, queries, tail, log } = opts;
  let lastSeq = await queries.lastSeq();
  changes.onLogBatch((ranges) => {
    for (const [, to] of ranges) if (to > lastSeq) lastSeq = to;
    const gateways = tail.gateways();
    if (gateways.length === 0) return;
    queries.bySeq(gateways, ranges).then(
      (rows) => tail.publish(rows),
      (err: unknown) => log('warn', `live tail: reading another node's log batch: ${(err as Error).message}`),
    );
  });
  changes.onReconnect(() => {
    const gateways = tail.gateways();
    if (gateways.length === 0) return;
    queries.after(gateways, lastSeq, GAP_ROWS).then(
      (rows) => {
        for (const r of rows) if (r.seq > lastSeq) lastSeq = r.seq;
        tail.publishMissed(rows);
      },
      (err: unknown) =>
        log(
          'warn',
          `live tail: reading what was stored while this node was not listening: ${(err as Error).message}`,
        ),
    );
  });
}
