import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Identity } from './api.ts';

export interface Session {
  api: Api;
  identity: Identity;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether the signed-in token may change things (what a `read` token cannot do is not offered). */
export function canEdit(identity: Identity, gateway?: string): boolean {
  if (identity.kind === 'admin') return true;
  if (!identity.permissions.includes('edit')) return false;
  return gateway === undefined || identity.gateways === null || identity.gateways.includes(gateway);
}

export function isAdmin(identity: Identity): boolean {
  return identity.kind === 'admin';
}
