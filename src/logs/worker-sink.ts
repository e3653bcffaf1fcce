import { Worker } from 'node:worker_threads';
import { encodeBatch } from './batch-codec.ts';
import type { LogSink } from './writer.ts';

export interface WorkerLogSink extends LogSink {
  /** After the last insert: ends the thread and its connection. */
  close(): Promise<void>;
}

/**
 * SQLite log inserts on a worker thread with its own connection, so a batch (tens of µs a row,
 * milliseconds a batch) never holds up the thread that serves requests. The request thread only
 * encodes the batch (encodeBatch). Should the thread die, pending batches fail (the writer keeps
 * them and tries again) and later ones go to `fallback`, in this thread.
 */
export function workerLogSink(
  path: string,
  fallback: LogSink,
  onError: (message: string) => void,
): WorkerLogSink {
  const worker = new Worker(new URL('./sqlite-worker.ts', import.meta.url), {
    workerData: { path },
    // Its heap holds one batch's rows at a time (bodies are outside it, in the transferred buffer);
    // a small young generation keeps the thread's memory small. Out of memory it ends, and the
    // fallback takes over.
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
  });
  // Idle, it must not keep the process up; with batches in flight it must.
  worker.unref();
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  let stopping = false;

  const fail = (err: Error) => {
    if (dead) return;
    dead = err;
    if (!stopping) onError(`log writer thread stopped (${err.message}); writing logs on the main thread`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (m: { id: number; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error === undefined) p.resolve();
    else p.reject(new Error(m.error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));

  return {
    insert(rows) {
      if (dead) return fallback.insert(rows);
      const batch = encodeBatch(rows);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, batch }, [batch.columns, batch.bodies]);
      });
    },
    async close() {
      if (dead) return;
      stopping = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage('stop');
      // A thread stuck in a write must not hold shutdown forever.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
