import { useState } from 'preact/hooks';
import type { Api } from '../api.ts';
import { ErrorBox, useLoad } from './common.tsx';
import { ConfirmDialog, getAll } from './gateway-form.tsx';

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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [deleting, setDeleting] = useState<CustomProvider | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const { result } = await api.request<CustomProvider>('POST', '/custom-providers', {
        name: name.trim(),
        slug: slug.trim(),
        base_url: baseUrl.trim(),
      });
      setName('');
      setSlug('');
      setBaseUrl('');
      setDone(`Added ${result.name}: call it as custom-${result.slug}.`);
      providers.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
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
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider slug</th>
                <th scope="col">Base URL</th>
                <th scope="col">Added</th>
                {editable ? (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {providers.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td class="mono">custom-{p.slug}</td>
                  <td class="mono">{p.base_url}</td>
                  <td>{new Date(p.created_at * 1000).toLocaleString()}</td>
                  {editable ? (
                    <td>
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Delete custom provider ${p.name}`}
                        onClick={() => setDeleting(p)}
                      >
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {editable ? (
        <form class="subform" onSubmit={add} aria-label="Add a custom provider">
          <h3>Add a custom provider</h3>
          <ErrorBox error={error} />
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
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Adding…' : 'Add provider'}
            </button>
          </div>
          <p role="status" class="ok">
            {done}
          </p>
        </form>
      ) : null}

      {deleting ? (
        <ConfirmDialog
          title={`Delete the custom provider “${deleting.name}”?`}
          confirmLabel="Delete provider"
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api.request('DELETE', `/custom-providers/${encodeURIComponent(deleting.id)}`);
            setDeleting(null);
            setDone('');
            providers.reload();
          }}
        >
          <p>
            Requests to custom-{deleting.slug} will fail on every gateway, and its cached responses are
            purged.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
