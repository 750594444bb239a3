// Local clusters as the kubeconfig knows them: each context classified by the tool that made
// it (kind, minikube, Docker Desktop, OrbStack, k3d, …), with its API server, and whether that
// server answers /readyz. No credentials leave this module: only names, URLs and states.
import { Health, type KubeConfig, VersionApi } from '@kubernetes/client-node';
import { toClusterError, withTimeout } from '../kube/errors.js';
import { isLoopbackServerHost } from '../kube/rewrite.js';

export type ClusterKind = 'kind' | 'minikube' | 'docker-desktop' | 'orbstack' | 'k3d' | 'k3s' | 'unknown';

export interface ContextSummary {
  name: string;
  kind: ClusterKind;
  /** The cluster name the tool knows it by (kind-dev → dev), where the convention says. */
  clusterName: string;
  server: string;
  current: boolean;
  /** The server is a loopback address: containers need the rewritten one. */
  loopback: boolean;
}

export function classifyContext(name: string, server: string): { kind: ClusterKind; clusterName: string } {
  if (name.startsWith('kind-')) return { kind: 'kind', clusterName: name.slice('kind-'.length) };
  if (name.startsWith('k3d-')) return { kind: 'k3d', clusterName: name.slice('k3d-'.length) };
  if (name === 'docker-desktop' || name === 'docker-for-desktop') return { kind: 'docker-desktop', clusterName: name };
  if (name === 'orbstack') return { kind: 'orbstack', clusterName: name };
  if (name === 'minikube') return { kind: 'minikube', clusterName: name };
  // minikube names contexts after profiles (`minikube start -p dev` → context "dev") and
  // serves on 192.168.49.x (docker driver) or 127.0.0.1 with a high port.
  if (/^https:\/\/192\.168\.(49|58|59|67)\.\d+:8443$/.test(server)) return { kind: 'minikube', clusterName: name };
  if (name === 'default' && /:6443$/.test(server)) return { kind: 'k3s', clusterName: name };
  return { kind: 'unknown', clusterName: name };
}

export function summarizeContexts(kc: KubeConfig): ContextSummary[] {
  const current = kc.getCurrentContext();
  return kc.getContexts().map((ctx) => {
    const server = kc.getCluster(ctx.cluster)?.server ?? '';
    let loopback = false;
    try {
      loopback = isLoopbackServerHost(new URL(server).hostname);
    } catch {
      loopback = false;
    }
    return { name: ctx.name, ...classifyContext(ctx.name, server), server, current: ctx.name === current, loopback };
  });
}

export type Reachability =
  | { state: 'ready'; version: string }
  | { state: 'unreachable' | 'unauthorized' | 'tls' | 'error'; message: string };

/**
 * Asks one context's API server for its version (a cheap, always-allowed call, whose failure
 * says why: refused, TLS, credentials) and whether it is ready (/readyz: an API server whose
 * etcd is gone still answers /version), both bounded in time.
 */
export async function probeContext(kc: KubeConfig, context: string, timeoutMs = 3000): Promise<Reachability> {
  const scoped = new (kc.constructor as new () => KubeConfig)();
  scoped.loadFromString(kc.exportConfig());
  scoped.setCurrentContext(context);
  const server = scoped.getCurrentCluster()?.server ?? '(none)';
  const abort = new AbortController();
  const ready = withTimeout(new Health(scoped).readyz({ signal: abort.signal } as never), timeoutMs, 'GET /readyz', server).catch(
    () => undefined,
  );
  try {
    const v = await withTimeout(scoped.makeApiClient(VersionApi).getCode(), timeoutMs, 'GET /version', server);
    const readiness = await ready;
    if (readiness !== true)
      return {
        state: 'error',
        message: `the API server at ${server} answers but is not ready (/readyz ${readiness === false ? 'failed' : `gave no answer within ${timeoutMs} ms`}); its storage (etcd) may be down or starting`,
      };
    return { state: 'ready', version: v.gitVersion };
  } catch (e) {
    const err = toClusterError(e, server);
    const state = err.kind === 'unreachable' || err.kind === 'tls' || err.kind === 'unauthorized' ? err.kind : 'error';
    return { state, message: err.message };
  } finally {
    abort.abort();
  }
}
