// The API-server rewrite (docs/provisioner.md: the API-server rewrite). Local clusters write https://127.0.0.1:PORT into the
// kubeconfig; inside a container that address is the container itself. We connect to a new
// address but keep verifying the certificate against the original name (tls-server-name),
// instead of upstream's "turn verification off". Pure functions over kubeconfig clusters.

export interface ClusterEndpoint {
  server: string;
  tlsServerName?: string | undefined;
  skipTLSVerify?: boolean | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '::1', '::']);

export function isLoopbackServerHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_HOSTS.has(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

export interface RewriteOptions {
  /** Explicit opt-in to skip certificate verification (K8S_INSECURE_SKIP_TLS_VERIFY). */
  insecureSkipTlsVerify?: boolean;
}

/**
 * Points a cluster entry at `newServer`. When the original host was a loopback name, the
 * certificate is still verified for that name through `tlsServerName`. `0.0.0.0`/`::` are
 * listen addresses, never names on a certificate, so they verify as 127.0.0.1 / ::1.
 */
export function rewriteApiServer(cluster: ClusterEndpoint, newServer: string, opts: RewriteOptions = {}): ClusterEndpoint {
  const original = new URL(cluster.server);
  const target = new URL(newServer);
  const out: ClusterEndpoint = { ...cluster, server: target.origin };
  if (opts.insecureSkipTlsVerify) {
    out.skipTLSVerify = true;
    return out;
  }
  if (!cluster.tlsServerName && target.hostname !== original.hostname && isLoopbackServerHost(original.hostname)) {
    let name = original.hostname.replace(/^\[|\]$/g, '');
    if (name === '0.0.0.0') name = '127.0.0.1';
    if (name === '::') name = '::1';
    out.tlsServerName = name;
  }
  return out;
}
