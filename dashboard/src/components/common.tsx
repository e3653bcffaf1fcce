import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A failed call, said plainly; `null` renders nothing. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error-box" role="alert">
      {message}
    </div>
  );
}

export function Panel({ title, children }: { title?: string; children: ComponentChildren }) {
  return (
    <section class="panel">
      {title ? <h2>{title}</h2> : null}
      {children}
    </section>
  );
}

/** Loads once per change of `deps`; the result, the error, and a reload. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (live) setError(e);
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

const money = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 4,
});
const count = new Intl.NumberFormat('en-US');

export const format = {
  money: (v: number | null | undefined) => (v == null ? '—' : money.format(v)),
  count: (v: number | null | undefined) => (v == null ? '—' : count.format(v)),
  ms: (v: number | null | undefined) =>
    v == null ? '—' : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`,
  percent: (v: number | null | undefined) =>
    v == null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`,
  time: (iso: string) => new Date(iso).toLocaleString(),
};
