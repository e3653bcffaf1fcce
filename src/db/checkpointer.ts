import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

/** WAL pages after which the request thread checkpoints itself anyway (the worker's safety net). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves SQLite's WAL checkpoints off the request thread. SQLite checkpoints inside whichever commit
 * crosses `wal_autocheckpoint` pages, and the checkpoint's fsync then stalls every request on this
 * thread; a worker thread with its own connection checkpoints on a timer instead. Should the worker
 * stop, the raised autocheckpoint still bounds the WAL.
 */
export function startCheckpointer(
  raw: DatabaseSync,
  path: string,
  intervalMs: number,
  onError: (message: string) => void,
): Checkpointer {
  raw.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES};`);
  const worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), {
    workerData: { path, intervalMs },
  });
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onError(`WAL checkpoint: ${m.error}`);
  });
  worker.on('error', (err) => onError(`WAL checkpoint worker stopped: ${err.message}`));
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        // Unreferenced while running (it must not keep the process up); referenced while stopping.
        worker.ref();
        worker.postMessage('stop');
        // A worker stuck in a checkpoint must not hold shutdown forever.
        setTimeout(() => void worker.terminate(), 5_000).unref();
      }),
  };
}
