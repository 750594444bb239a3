// Hash routes (#/sandboxes, #/sandboxes/<id>, …): work from a file, a dev server and the desk
// server alike, and need nothing from the server.
import { useEffect, useState } from 'react';

export const SANDBOX_TABS = ['overview', 'logs', 'terminal', 'files', 'events'] as const;
export type SandboxTab = (typeof SANDBOX_TABS)[number];

export type Route =
  | { screen: 'cluster' }
  | { screen: 'sandboxes' }
  | { screen: 'sandbox'; id: string; tab: SandboxTab }
  | { screen: 'migration' }
  | { screen: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'cluster':
      return { screen: 'cluster' };
    case 'migration':
      return { screen: 'migration' };
    case 'settings':
      return { screen: 'settings' };
    case 'sandboxes':
      if (!parts[1]) return { screen: 'sandboxes' };
      return { screen: 'sandbox', id: parts[1], tab: SANDBOX_TABS.find((t) => t === parts[2]) ?? 'overview' };
    default:
      return { screen: 'sandboxes' };
  }
}

export function hrefOf(route: Route): string {
  if (route.screen !== 'sandbox') return `#/${route.screen}`;
  const base = `#/sandboxes/${encodeURIComponent(route.id)}`;
  return route.tab === 'overview' ? base : `${base}/${route.tab}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}
