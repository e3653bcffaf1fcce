import { useRef, useState } from 'preact/hooks';
import type { Api, Permission } from '../api.ts';
import { ErrorBox, format, RowsTable, useAction, useConfirmedDelete, useLoad } from './common.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { getAll } from './get-all.ts';

interface Token {
  id: string;
  name: string;
  permissions: Permission[];
  gateways: string[] | null;
  preview: string;
  created_at: string;
}

const PERMISSIONS: ReadonlyArray<readonly [Permission, string]> = [
  ['run', 'run: call an authenticated gateway'],
  ['read', 'read: gateways, logs, analytics'],
  ['edit', 'edit: change them too'],
];

/** Writes to the clipboard; on plain http (no Clipboard API) copies the selected input instead. */
async function copy(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    return document.execCommand('copy');
  }
}

/**
 * The account's tokens (admin only: the API refuses everyone else). A new token's value is shown
 * once, right after it is made; the server keeps only its hash.
 */
export function Tokens({ api }: { api: Api }) {
  const tokens = useLoad(() => getAll<Token>(api, '/tokens'), []);
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<Permission[]>(['run']);
  const [gateways, setGateways] = useState('');
  const [made, setMade] = useState<(Token & { value: string }) | null>(null);
  const [copied, setCopied] = useState('');
  const valueRef = useRef<HTMLInputElement>(null);
  const creating = useAction();
  const revoking = useConfirmedDelete<Token>(
    api,
    (t) => `/tokens/${encodeURIComponent(t.id)}`,
    (t) => {
      // A revoked token's value is of no use: stop showing it.
      if (made?.id === t.id) setMade(null);
      tokens.reload();
    },
  );

  const create = (e: Event) => {
    e.preventDefault();
    creating.run(async () => {
      setCopied('');
      const limit = gateways
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      const { result } = await api.request<Token & { value: string }>('POST', '/tokens', {
        name: name.trim(),
        permissions: perms,
        ...(limit.length > 0 ? { gateways: limit } : {}),
      });
      setMade(result);
      setName('');
      setGateways('');
      tokens.reload();
    });
  };

  const toggle = (p: Permission, on: boolean) =>
    setPerms((ps) => (on ? [...ps.filter((x) => x !== p), p] : ps.filter((x) => x !== p)));

  return (
    <section class="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tokens</h2>
      <p class="hint section-note">
        Only the admin token manages tokens. Applications call authenticated gateways with run; the dashboard
        takes read or edit.
      </p>
      <ErrorBox error={tokens.error} />
      {tokens.data && tokens.data.length === 0 ? <p class="muted">No tokens yet.</p> : null}
      {tokens.data && tokens.data.length > 0 ? (
        <RowsTable
          headers={['Name', 'Permissions', 'Gateways', 'Preview', 'Created']}
          rows={tokens.data}
          cells={(t) => (
            <>
              <td>{t.name}</td>
              <td>{t.permissions.join(', ')}</td>
              <td>{t.gateways === null ? <span class="muted">all</span> : t.gateways.join(', ')}</td>
              <td class="mono">{t.preview}</td>
              <td>{format.time(t.created_at)}</td>
            </>
          )}
          rowAction={{ label: 'Revoke', name: (t) => `Revoke token ${t.name}`, onClick: revoking.ask }}
        />
      ) : null}

      {made ? (
        <section class="once" aria-label="New token">
          <p>
            <strong>Copy the token “{made.name}” now:</strong> it is shown only this once.
          </p>
          <div class="fields">
            <label class="field wide">
              Token value
              <input
                ref={valueRef}
                class="mono"
                readOnly
                value={made.value}
                onFocus={(e) => e.currentTarget.select()}
              />
            </label>
            <button
              type="button"
              class="primary"
              onClick={async () =>
                setCopied(
                  (await copy(made.value, valueRef.current))
                    ? 'Copied.'
                    : 'Copy failed: select the value and copy it.',
                )
              }
            >
              Copy
            </button>
            <button
              type="button"
              onClick={() => {
                setMade(null);
                setCopied('');
              }}
            >
              Done
            </button>
          </div>
          <p role="status" class="ok">
            {copied}
          </p>
        </section>
      ) : null}

      <form class="subform" onSubmit={create} aria-label="Create a token">
        <h3>Create a token</h3>
        <ErrorBox error={creating.error} />
        <div class="fields">
          <label class="field">
            Name
            <input
              value={name}
              required
              maxLength={128}
              autocomplete="off"
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>
          <fieldset class="perms">
            <legend>Permissions</legend>
            {PERMISSIONS.map(([p, label]) => (
              <label class="check" key={p}>
                <input
                  type="checkbox"
                  checked={perms.includes(p)}
                  onChange={(e) => toggle(p, (e.target as HTMLInputElement).checked)}
                />
                {label}
              </label>
            ))}
          </fieldset>
          <div class="field-box wide">
            <label class="field">
              Only these gateways
              <input
                value={gateways}
                autocomplete="off"
                spellcheck={false}
                placeholder="all gateways"
                aria-describedby="token-gateways-hint"
                onInput={(e) => setGateways((e.target as HTMLInputElement).value)}
              />
            </label>
            <span id="token-gateways-hint" class="hint">
              comma-separated gateway ids; empty for all
            </span>
          </div>
          <button
            type="submit"
            class="primary"
            disabled={creating.busy || name.trim() === '' || perms.length === 0}
          >
            {creating.busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      {revoking.pending ? (
        <ConfirmDialog
          title={`Revoke the token “${revoking.pending.name}”?`}
          confirmLabel="Revoke"
          onCancel={revoking.cancel}
          onConfirm={revoking.confirm}
        >
          <p>
            It stops working at once, for every application and person that uses it (
            {revoking.pending.preview}).
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
