// Kept-alive connections against the real API server: many requests through one connection's
// client share a few TLS connections (not one each), verification stays on (through
// tls-server-name for the K8S_API_SERVER rewrite too), and a wrong name still fails.
import { CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { AgentPool, makeApiClient } from '../../app/kube/api-client.js';
import { toClusterError } from '../../app/kube/errors.js';
import { loadKubeConfig } from '../../app/kube/kubeconfig.js';
import { clusterInfo, countConnections } from './helpers.js';

const { kubeconfig, server } = clusterInfo();
const port = new URL(server).port;

describe('kept-alive API clients', () => {
  it('200 sequential requests use one TLS connection, not 200', async () => {
    const { kc } = loadKubeConfig({ kubeconfigPath: kubeconfig });
    const pool = new AgentPool();
    const sockets = countConnections(pool);
    const core = makeApiClient(kc, CoreV1Api, pool);
    for (let i = 0; i < 200; i++) await core.readNamespace({ name: 'default' });
    expect(pool.created).toBe(1);
    expect(sockets.size).toBe(1);
    // 32 at once open at most the pool's bound.
    await Promise.all(Array.from({ length: 64 }, () => core.readNamespace({ name: 'default' })));
    expect(sockets.size).toBeLessThanOrEqual(32);
    // The next burst finds the last one's connections still open: no new handshakes (8 idle
    // ones used to be kept, so each burst after the first made 24 again).
    const afterFirstBurst = sockets.size;
    expect(afterFirstBurst).toBeGreaterThan(8);
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(Array.from({ length: 64 }, () => core.readNamespace({ name: 'default' })));
    expect(sockets.size).toBe(afterFirstBurst);
    pool.destroy();
  });

  it('keeps TLS verification through the K8S_API_SERVER rewrite, and fails on a name the certificate lacks', async () => {
    const secondName = `https://localhost:${port}`;
    const rewritten = loadKubeConfig({ kubeconfigPath: kubeconfig, apiServer: secondName }).kc;
    const pool = new AgentPool();
    expect((await makeApiClient(rewritten, VersionApi, pool).getCode()).gitVersion).toMatch(/^v1\./);
    const wrong = loadKubeConfig({ kubeconfigPath: kubeconfig }).kc;
    (wrong.getCurrentCluster() as { server: string }).server = secondName;
    const err = await makeApiClient(wrong, VersionApi, pool)
      .getCode()
      .then(
        () => undefined,
        (e: unknown) => toClusterError(e, secondName),
      );
    expect(err?.kind).toBe('tls');
    pool.destroy();
  });
});
