// Kubeconfigs for tests that need no cluster.
import { KubeConfig } from '@kubernetes/client-node';

/** One context, one cluster at `server`, a token user: enough for code that only reads a kubeconfig. */
export function kubeConfigAt(server: string, opts: { context?: string; token?: string } = {}): KubeConfig {
  const context = opts.context ?? 'test';
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: false }],
    users: [{ name: 'u', token: opts.token ?? 'x' }],
    contexts: [{ name: context, cluster: 'c', user: 'u' }],
    currentContext: context,
  });
  return kc;
}

/** A context whose API server address has nothing listening (loopback port 1). */
export function unreachableKubeConfig(context = 'gone'): KubeConfig {
  return kubeConfigAt('https://127.0.0.1:1', { context });
}
