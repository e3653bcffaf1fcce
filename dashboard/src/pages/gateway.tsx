import { useState } from 'preact/hooks';
import { ErrorBox, format, useLoad } from '../components/common.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { GatewayForm } from '../components/gateway-form/form.tsx';
import type { Gateway } from '../components/gateway-form/gateway.ts';
import { ProviderKeys } from '../components/provider-keys.tsx';
import { navigate } from '../router.ts';
import { canEdit, useSession } from '../session.ts';
import './gateways.css';

export function GatewayPage({ id }: { id: string }) {
  const { api, identity } = useSession();
  const editable = canEdit(identity, id);
  const path = `/gateways/${encodeURIComponent(id)}`;
  const loaded = useLoad(() => api.get<Gateway>(path), [path]);
  // The last saved answer wins over the first load, so sections below see what is stored now.
  const [saved, setSaved] = useState<Gateway | null>(null);
  const [deleting, setDeleting] = useState(false);
  const gateway = saved?.id === id ? saved : loaded.data;

  return (
    <div class="stack gateway-page">
      <p class="crumbs">
        <a href="#/gateways">← Gateways</a>
      </p>
      <div class="page-head">
        <h1>
          Gateway <code>{id}</code>
          {gateway?.is_default ? <span class="badge muted">default</span> : null}
        </h1>
        {gateway ? (
          <p class="muted">
            Created {format.time(gateway.created_at)} · modified {format.time(gateway.modified_at)}
          </p>
        ) : null}
      </div>
      <ErrorBox error={loaded.error} />
      {!gateway && loaded.loading ? <p class="empty">Loading…</p> : null}
      {gateway && !editable ? (
        <p class="notice" role="note">
          Read-only: this token may see this gateway's settings but not change them.
        </p>
      ) : null}
      {gateway ? (
        <GatewayForm
          key={gateway.id}
          gateway={gateway}
          editable={editable}
          save={async (body) => {
            const { result } = await api.request<Gateway>('PUT', path, body);
            setSaved(result);
            return result;
          }}
        />
      ) : null}
      {gateway ? <ProviderKeys api={api} gateway={gateway} editable={editable} /> : null}
      {gateway && editable ? (
        <section class="panel danger-zone" aria-labelledby="delete-gateway-title">
          <h2 id="delete-gateway-title">Delete this gateway</h2>
          <p class="hint section-note">
            Its settings, stored provider keys and cached responses go with it.
            {gateway.is_default
              ? ' The default gateway comes back, with default settings, on its next request.'
              : ''}
          </p>
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            Delete gateway
          </button>
        </section>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the gateway “${id}”?`}
          confirmLabel="Delete gateway"
          requireText={id}
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            await api.request('DELETE', path);
            navigate('/gateways');
          }}
        >
          <p>Applications that call it will get errors. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
