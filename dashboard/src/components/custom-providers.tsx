import { useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { ErrorBox, RowsTable, useAction, useConfirmedDelete, useLoad } from './common.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { getAll } from './get-all.ts';

interface CustomProvider {
  id: string;
  name: string;
  slug: string;
  base_url: string;
  created_at: number;
}

/**
 * The account's custom providers (OpenAI-compatible servers reached as `custom-{slug}` on every
 * gateway). Readers see the list; adding and deleting take `edit`.
 */
export function CustomProviders({ api, editable }: { api: Api; editable: boolean }) {
  const providers = useLoad(() => getAll<CustomProvider>(api, '/custom-providers'), []);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const adding = useAction();
  const deletion = useConfirmedDelete<CustomProvider>(
    api,
    (p) => `/custom-providers/${encodeURIComponent(p.id)}`,
    () => {
      adding.clearDone();
      providers.reload();
    },
  );

  const add = (e: Event) => {
    e.preventDefault();
    adding.run(async () => {
      const { result } = await api.request<CustomProvider>('POST', '/custom-providers', {
        name: name.trim(),
        slug: slug.trim(),
        base_url: baseUrl.trim(),
      });
      setName('');
      setSlug('');
      setBaseUrl('');
      providers.reload();
      return `Added ${result.name}: call it as custom-${result.slug}.`;
    });
  };

  return (
    <section class="panel" aria-labelledby="custom-providers-title">
      <h2 id="custom-providers-title">Custom providers</h2>
      <p class="hint section-note">
        Any OpenAI-compatible server, reached on every gateway at{' '}
        <code>
          /{'{gateway}'}/custom-{'{slug}'}/…
        </code>
        .
      </p>
      <ErrorBox error={providers.error} />
      {providers.data && providers.data.length === 0 ? <p class="muted">No custom providers.</p> : null}
      {providers.data && providers.data.length > 0 ? (
        <RowsTable
          headers={['Name', 'Provider slug', 'Base URL', 'Added']}
          rows={providers.data}
          cells={(p) => (
            <>
              <td>{p.name}</td>
              <td class="mono">custom-{p.slug}</td>
              <td class="mono">{p.base_url}</td>
              <td>{new Date(p.created_at * 1000).toLocaleString()}</td>
            </>
          )}
          rowAction={
            editable
              ? { label: 'Delete', name: (p) => `Delete custom provider ${p.name}`, onClick: deletion.ask }
              : undefined
          }
        />
      ) : null}

      {editable ? (
        <form class="subform" onSubmit={add} aria-label="Add a custom provider">
          <h3>Add a custom provider</h3>
          <ErrorBox error={adding.error} />
          <div class="fields">
            <label class="field">
              Name
              <input
                value={name}
                required
                autocomplete="off"
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field">
              Slug
              <input
                value={slug}
                required
                autocomplete="off"
                spellcheck={false}
                placeholder="vllm"
                onInput={(e) => setSlug((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="field wide">
              Base URL
              <input
                type="url"
                value={baseUrl}
                required
                autocomplete="off"
                spellcheck={false}
                placeholder="https://llm.internal/v1"
                onInput={(e) => setBaseUrl((e.target as HTMLInputElement).value)}
              />
            </label>
            <button type="submit" class="primary" disabled={adding.busy}>
              {adding.busy ? 'Adding…' : 'Add provider'}
            </button>
          </div>
          <p role="status" class="ok">
            {adding.done}
          </p>
        </form>
      ) : null}

      {deletion.pending ? (
        <ConfirmDialog
          title={`Delete the custom provider “${deletion.pending.name}”?`}
          confirmLabel="Delete provider"
          onCancel={deletion.cancel}
          onConfirm={deletion.confirm}
        >
          <p>
            Requests to custom-{deletion.pending.slug} will fail on every gateway, and its cached responses
            are purged.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
