import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.ts';

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

/** What a form or dialog does; the text it resolves to, if any, becomes its `done` message. */
type Action = () => Promise<string> | Promise<void>;

/**
 * One action at a time (a form's submit, a dialog's confirm): `busy` while it runs, the `error` it
 * threw, and the `done` message it returned. A new run clears the last error and message; one asked
 * for while the last is still busy is dropped.
 * `keepBusyOnSuccess` is for actions after which the component goes away (a navigation, a dialog its
 * parent closes): its button stays disabled until then instead of coming back for a moment.
 */
export function useAction(): {
  busy: boolean;
  error: unknown;
  done: string;
  clearDone: () => void;
  run: (action: Action, options?: { keepBusyOnSuccess?: boolean }) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const run = async (action: Action, { keepBusyOnSuccess = false } = {}) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const message = await action();
      setDone(typeof message === 'string' ? message : '');
      if (!keepBusyOnSuccess) setBusy(false);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { busy, error, done, clearDone: () => setDone(''), run };
}

/**
 * Deleting one listed row behind a confirmation: `ask(row)` makes it `pending` (render the dialog
 * while it is), `confirm` sends DELETE to `pathOf(row)`, closes and calls `afterDelete(row)`. A
 * failed DELETE throws, so the dialog stays open and shows why.
 */
export function useConfirmedDelete<T>(
  api: Api,
  pathOf: (row: T) => string,
  afterDelete: (row: T) => void,
): { pending: T | null; ask: (row: T) => void; cancel: () => void; confirm: () => Promise<void> } {
  const [pending, setPending] = useState<T | null>(null);
  return {
    pending,
    ask: setPending,
    cancel: () => setPending(null),
    confirm: async () => {
      if (pending === null) return;
      await api.request('DELETE', pathOf(pending));
      setPending(null);
      afterDelete(pending);
    },
  };
}

/**
 * A table of listed rows, one per `cells(row)` (the row's `<td>`s). With `rowAction`, a last column
 * holds a danger button per row; its accessible name (`name(row)`) says which row, since every
 * button's text reads the same.
 */
export function RowsTable<T extends { id: string }>({
  headers,
  rows,
  cells,
  rowAction,
}: {
  headers: string[];
  rows: T[];
  cells: (row: T) => ComponentChildren;
  rowAction?: { label: string; name: (row: T) => string; onClick: (row: T) => void };
}) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {headers.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
            {rowAction ? (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              {cells(row)}
              {rowAction ? (
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={rowAction.name(row)}
                    onClick={() => rowAction.onClick(row)}
                  >
                    {rowAction.label}
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
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
