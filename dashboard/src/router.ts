import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/logs/01J…?filters=…`): the gateway serves one page at `/`, so the path after
 * `#` is the dashboard's own, and a reload or a shared link opens the same view.
 */
export interface Route {
  /** Path segments: `#/logs/abc` → ['logs', 'abc']. */
  parts: string[];
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/overview';
  const [path = '', search = ''] = hash.split('?');
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(path: string, query?: URLSearchParams): void {
  const q = query?.toString();
  location.hash = q ? `${path}?${q}` : path;
}

/** Rewrites the query of the current route without adding a history entry per keystroke. */
export function replaceQuery(query: URLSearchParams): void {
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/overview';
  const q = query.toString();
  history.replaceState(null, '', `#${path}${q ? `?${q}` : ''}`);
  dispatchEvent(new HashChangeEvent('hashchange'));
}
