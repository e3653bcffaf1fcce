import { useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { ErrorBox, format, RowsTable, useAction, useConfirmedDelete, useLoad } from './common.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import type { Gateway } from './gateway-form/gateway.ts';
import { getAll } from './get-all.ts';

/** The built-in provider slugs, as src/providers/registry.ts lists them (the browser test compares). */
export const BUILT_IN_PROVIDERS = [
  'anthropic',
  'aws-bedrock',
  'azure-openai',
  'baseten',
  'cartesia',
  'cerebras',
  'cohere',
  'deepinfra',
  'deepseek',
  'elevenlabs',
  'fal',
  'fireworks',
  'google-ai-studio',
  'google-vertex-ai',
  'grok',
  'groq',
  'huggingface',
  'ideogram',
  'mistral',
  'ollama',
  'openai',
  'openrouter',
  'parallel',
  'perplexity-ai',
  'replicate',
  'together',
  'workers-ai',
] as const;

export interface ProviderKey {
  id: string;
  alias: string;
  default_config: boolean;
  gateway_id: string;
  provider_slug: string;
  secret_preview: string;
  created_at: string;
  modified_at: string;
}

interface CustomProviderRef {
  slug: string;
  name: string;
}

/**
 * A gateway's stored provider keys (BYOK): listed by provider and alias with the server's preview;
 * a key goes in through a password input and is never shown back.
 */
export function ProviderKeys({ api, gateway, editable }: { api: Api; gateway: Gateway; editable: boolean }) {
  const path = `/gateways/${encodeURIComponent(gateway.id)}/provider_configs`;
  const keys = useLoad(() => api.get<ProviderKey[]>(path), [path]);
  const customs = useLoad(
    () => (editable ? getAll<CustomProviderRef>(api, '/custom-providers') : Promise.resolve([])),
    [editable],
  );
  const [provider, setProvider] = useState('openai');
  const [alias, setAlias] = useState('default');
  const [secret, setSecret] = useState('');
  const [makeDefault, setMakeDefault] = useState(false);
  const storing = useAction();
  const deletion = useConfirmedDelete<ProviderKey>(
    api,
    (k) => `${path}/${encodeURIComponent(k.id)}`,
    () => {
      storing.clearDone();
      keys.reload();
    },
  );

  const add = (e: Event) => {
    e.preventDefault();
    storing.run(async () => {
      const made = (
        await api.request<ProviderKey>('POST', path, {
          provider_slug: provider,
          alias: alias.trim() || 'default',
          secret,
          ...(makeDefault ? { default_config: true } : {}),
        })
      ).result;
      setSecret('');
      setMakeDefault(false);
      keys.reload();
      return `Stored the ${made.provider_slug} key "${made.alias}".`;
    });
  };

  const rows = [...(keys.data ?? [])].sort(
    (a, b) => a.provider_slug.localeCompare(b.provider_slug) || a.alias.localeCompare(b.alias),
  );

  return (
    <section class="panel" aria-labelledby="provider-keys-title">
      <h2 id="provider-keys-title">Provider keys</h2>
      <p class="hint section-note">
        Requests without their own provider key get the one named by cf-aig-byok-alias, else the provider's
        default.
      </p>
      <ErrorBox error={keys.error} />
      {keys.data && rows.length === 0 ? <p class="muted">No stored keys.</p> : null}
      {rows.length > 0 ? (
        <RowsTable
          headers={['Provider', 'Alias', 'Default', 'Key', 'Added']}
          rows={rows}
          cells={(k) => (
            <>
              <td>{k.provider_slug}</td>
              <td>{k.alias}</td>
              <td>{k.default_config ? 'yes' : ''}</td>
              <td class="mono">{k.secret_preview}</td>
              <td>{format.time(k.created_at)}</td>
            </>
          )}
          rowAction={
            editable
              ? {
                  label: 'Delete',
                  name: (k) => `Delete the ${k.provider_slug} key ${k.alias}`,
                  onClick: deletion.ask,
                }
              : undefined
          }
        />
      ) : null}

      {editable && !gateway.authentication ? (
        <p class="warn">
          Keys are stored only on an authenticated gateway (or anyone who reaches it would spend them): turn
          on “Require a gateway token” above and save first.
        </p>
      ) : null}
      {editable && gateway.authentication ? (
        <form class="subform" onSubmit={add} aria-label="Add a provider key">
          <h3>Add a key</h3>
          <ErrorBox error={storing.error ?? customs.error} />
          <div class="fields">
            <label class="field">
              Provider
              <select value={provider} onChange={(e) => setProvider((e.target as HTMLSelectElement).value)}>
                <optgroup label="Built in">
                  {BUILT_IN_PROVIDERS.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </optgroup>
                {customs.data && customs.data.length > 0 ? (
                  <optgroup label="Custom">
                    {customs.data.map((c) => (
                      <option key={c.slug} value={`custom-${c.slug}`}>
                        custom-{c.slug} ({c.name})
                      </option>
                    ))}
                  </optgroup>
                ) : null}
              </select>
            </label>
            <label class="field">
              Alias
              <input
                value={alias}
                autocomplete="off"
                spellcheck={false}
                onInput={(e) => setAlias((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field wide">
              Key
              <input
                type="password"
                value={secret}
                autocomplete="new-password"
                required
                onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={makeDefault}
                onChange={(e) => setMakeDefault((e.target as HTMLInputElement).checked)}
              />
              Make it the default key
            </label>
            <button type="submit" class="primary" disabled={storing.busy || secret === ''}>
              {storing.busy ? 'Storing…' : 'Add key'}
            </button>
          </div>
          <p role="status" class="ok">
            {storing.done}
          </p>
        </form>
      ) : null}

      {deletion.pending ? (
        <ConfirmDialog
          title="Delete this provider key?"
          confirmLabel="Delete key"
          onCancel={deletion.cancel}
          onConfirm={deletion.confirm}
        >
          <p>
            Requests that rely on the {deletion.pending.provider_slug} key “{deletion.pending.alias}” (
            {deletion.pending.secret_preview}) will need their own key.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
