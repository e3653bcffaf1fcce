import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorBox, useAction } from './common.tsx';

/**
 * A modal confirmation. Escape (the dialog's own `cancel`) closes it like the Cancel button.
 * With `requireText`, the confirm button stays disabled until that text is typed, so a slip of
 * the Enter key cannot delete something.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  requireText,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  requireText?: string;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const confirming = useAction();
  const titleId = useId();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const ready = requireText === undefined || typed === requireText;
  const confirm = (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    // The parent closes the dialog once it is done, so the button stays disabled until then.
    confirming.run(onConfirm, { keepBusyOnSuccess: true });
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby={titleId} onClose={onCancel}>
      <form onSubmit={confirm}>
        <h2 id={titleId}>{title}</h2>
        <div class="confirm-body">{children}</div>
        {requireText !== undefined ? (
          <label class="field">
            <span>
              Type <code>{requireText}</code> to confirm
            </span>
            <input
              value={typed}
              autocomplete="off"
              spellcheck={false}
              autofocus
              onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : null}
        <ErrorBox error={confirming.error} />
        <div class="actions">
          <button type="button" onClick={onCancel} autofocus={requireText === undefined}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={!ready || confirming.busy}>
            {confirming.busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
