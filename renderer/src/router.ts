// Hash routes (#/sandboxes, #/sandboxes/<id>, …): work from a file, a dev server and the desk
// server alike, and need nothing from the server.
import { useEffect, useState } from 'react';

export type Route =
  | { screen: 'cluster' }
  | { screen: 'sandboxes' }
  | { screen: 'sandbox'; id: string }
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
      return parts[1] ? { screen: 'sandbox', id: parts[1] } : { screen: 'sandboxes' };
    default:
      return { screen: 'sandboxes' };
  }
}

export function hrefOf(route: Route): string {
  return route.screen === 'sandbox' ? `#/sandboxes/${encodeURIComponent(route.id)}` : `#/${route.screen}`;
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
