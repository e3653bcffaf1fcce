import { useState } from 'preact/hooks';
import { Api, type Identity, saveToken } from '../api.ts';
import { ErrorBox, useAction } from '../components/common.tsx';

/** The admin token, or a token with `read` or `edit`; checked against the gateway before use. */
export function SignIn({ onSignedIn }: { onSignedIn: (api: Api, identity: Identity) => void }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const signingIn = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    signingIn.run(async () => {
      const api = new Api(token.trim());
      const identity = await api.verify();
      if (identity.kind !== 'admin' && !identity.permissions.some((p) => p === 'read' || p === 'edit')) {
        throw new Error(
          'This token has only "run": the dashboard needs the admin token or a token with read or edit.',
        );
      }
      saveToken(api.token, remember);
      onSignedIn(api, identity);
    });
  };

  return (
    <main class="signin">
      <section class="panel">
        <h1>Sign in to Gatehouse</h1>
        <ErrorBox error={signingIn.error} />
        <form onSubmit={submit}>
          <label class="field">
            Token
            <input
              type="password"
              name="token"
              autocomplete="current-password"
              value={token}
              onInput={(e) => setToken((e.target as HTMLInputElement).value)}
              placeholder="admin token, or a token with read / edit"
              required
              autofocus
            />
          </label>
          <label>
            <input
              type="checkbox"
              checked={remember}
              onChange={(e) => setRemember((e.target as HTMLInputElement).checked)}
            />{' '}
            Remember on this browser
          </label>
          <button class="primary" type="submit" disabled={signingIn.busy || token.trim() === ''}>
            {signingIn.busy ? 'Checking…' : 'Sign in'}
          </button>
          <p class="muted">
            The admin token is printed when the gateway starts (or set with GATEHOUSE_ADMIN_TOKEN). Tokens
            with read or edit are made under Gateways → Tokens.
          </p>
        </form>
      </section>
    </main>
  );
}
