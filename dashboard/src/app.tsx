import { useEffect, useState } from 'preact/hooks';
import { Api, forgetToken, type Identity, savedToken } from './api.ts';
import { GatewayPage } from './pages/gateway.tsx';
import { GatewaysPage } from './pages/gateways.tsx';
import { LogDetailPage } from './pages/log-detail.tsx';
import { LogsPage } from './pages/logs.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { useRoute } from './router.ts';
import { type Session, SessionContext } from './session.ts';
import { ThemeToggle } from './theme.tsx';

const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'logs', label: 'Logs' },
  { path: 'gateways', label: 'Gateways' },
] as const;

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => savedToken() !== null);
  const route = useRoute();

  const start = (api: Api, identity: Identity) =>
    setSession({
      api,
      identity,
      signOut: () => {
        forgetToken();
        setSession(null);
      },
    });

  // A token saved earlier signs in again without asking, unless it stopped working.
  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    const api = new Api(token);
    api
      .verify()
      .then((identity) => start(api, identity))
      .catch(() => forgetToken())
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p class="empty">Signing in…</p>;
  if (!session) return <SignIn onSignedIn={start} />;

  const [page = 'overview', id] = route.parts;
  let body = <OverviewPage />;
  if (page === 'logs' && id) body = <LogDetailPage id={id} gateway={route.query.get('gateway') ?? ''} />;
  else if (page === 'logs') body = <LogsPage />;
  else if (page === 'gateways' && id) body = <GatewayPage id={id} />;
  else if (page === 'gateways') body = <GatewaysPage />;

  const who =
    session.identity.kind === 'admin'
      ? 'admin'
      : `${session.identity.name} (${session.identity.permissions.join(', ')})`;
  return (
    <SessionContext.Provider value={session}>
      <div class="shell">
        <header class="topbar">
          <a class="brand" href="#/overview">
            Gatehouse
          </a>
          <nav class="nav" aria-label="Main">
            {NAV.map((n) => (
              <a key={n.path} href={`#/${n.path}`} aria-current={page === n.path ? 'page' : undefined}>
                {n.label}
              </a>
            ))}
          </nav>
          <span class="spacer" />
          <span class="who">
            {session.identity.account_id} · {who}
          </span>
          <ThemeToggle />
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </header>
        <main>{body}</main>
      </div>
    </SessionContext.Provider>
  );
}
