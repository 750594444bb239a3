// Who may call which route, decided on the route the router matched — never on the raw URL.
// The router decodes `%xx`, accepts absolute-form targets (`GET http://x/api/…`) and folds
// case options, so a check of `req.url` and the router can disagree about the same request
// (`/%61pi/sandboxes` reached the API without its key). Every route is protected unless it
// says `config: { access: 'public' }`; the not-found handler is protected too (deny by default).
// One mechanism for both servers: the provisioner API (X-API-Key) and the desk API (token).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type RouteAccess = 'public' | 'protected';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; absent means protected. */
    access?: RouteAccess;
  }
}

export interface AccessRules {
  /** Whether the Host header names this server (DNS-rebinding defence); undefined: any host. */
  hostAllowed?: (host: string) => boolean;
  /** How a request to a protected route proves itself. */
  authorized: (req: FastifyRequest) => boolean;
  /** The answer to a request whose Host header is refused. */
  onForeignHost: (reply: FastifyReply) => FastifyReply;
  /** The answer to an unauthorised request to a protected route. */
  onUnauthorized: (reply: FastifyReply) => FastifyReply;
}

/** The access a request's matched route declared (protected when it declared none or none matched). */
export function accessOf(req: FastifyRequest): RouteAccess {
  // Fastify fills routeOptions from the matched route; for the not-found handler there is none.
  return req.routeOptions.url === undefined ? 'protected' : (req.routeOptions.config?.access ?? 'protected');
}

/** Installs the check as the first onRequest hook: Host first, then the route's access. */
export function guardRoutes(app: FastifyInstance, rules: AccessRules): void {
  app.addHook('onRequest', async (req, reply) => {
    if (rules.hostAllowed && !rules.hostAllowed(String(req.headers.host ?? '').toLowerCase())) return rules.onForeignHost(reply);
    if (accessOf(req) === 'protected' && !rules.authorized(req)) return rules.onUnauthorized(reply);
  });
}

/** Marks every route registered inside `scope` (a plugin such as static files) as public. */
export function publicScope(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), access: 'public' };
  });
}

/** Names a browser or a DeerFlow container may use for a server bound to loopback. */
export const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host headers a loopback server answers: its loopback names at the port it listens on
 * (a page whose own name was rebound to 127.0.0.1 sends its own name and is refused), plus
 * any extra names (`host.docker.internal`, which Docker Desktop forwards to the host's
 * loopback and which no web page can claim as its own).
 */
export function loopbackHostCheck(port: number, extraNames: string[] = []): (host: string) => boolean {
  const allowed = new Set<string>();
  for (const name of [...LOOPBACK_NAMES, ...extraNames]) {
    allowed.add(`${name.toLowerCase()}:${port}`);
    if (port === 80) allowed.add(name.toLowerCase());
  }
  return (host) => allowed.has(host);
}
