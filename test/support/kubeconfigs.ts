// Kubeconfigs for tests that need no cluster.
import { KubeConfig } from '@kubernetes/client-node';

/** A context whose API server address has nothing listening (loopback port 1). */
export function unreachableKubeConfig(context = 'gone'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: context, cluster: 'c', user: 'u' }],
    currentContext: context,
  });
  return kc;
}
