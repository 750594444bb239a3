// K8S_API_SERVER against the real API server: a second name for the same address connects with
// TLS verification on (through tls-server-name); a certificate that does not match fails
// with a message that says what to do; skipping verification only happens when asked.
import { VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toClusterError } from '../../app/kube/errors.js';
import { loadKubeConfig } from '../../app/kube/kubeconfig.js';
import { clusterInfo } from './helpers.js';

const { kubeconfig, server } = clusterInfo();
const port = new URL(server).port;
// The test API server's certificate is valid for 127.0.0.1 but deliberately not for "localhost".
const secondName = `https://localhost:${port}`;

describe('API-server rewrite against the real API server', () => {
  it('connects through a second name with verification on', async () => {
    const { kc } = loadKubeConfig({ kubeconfigPath: kubeconfig, apiServer: secondName });
    expect(kc.getCurrentCluster()).toMatchObject({ server: secondName, tlsServerName: '127.0.0.1', skipTLSVerify: false });
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\./);
  });

  it('fails clearly when the certificate does not match the name', async () => {
    const { kc } = loadKubeConfig({ kubeconfigPath: kubeconfig });
    // Same address under a name the certificate lacks, with no tls-server-name to rescue it.
    const cluster = kc.getCurrentCluster() as { server: string };
    cluster.server = secondName;
    const err = await kc
      .makeApiClient(VersionApi)
      .getCode()
      .then(
        () => undefined,
        (e: unknown) => toClusterError(e, secondName),
      );
    expect(err?.kind).toBe('tls');
    expect(err?.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*K8S_INSECURE_SKIP_TLS_VERIFY/s);
  });

  it('skips verification only with the explicit opt-in', async () => {
    const r = loadKubeConfig({ kubeconfigPath: kubeconfig, apiServer: secondName, insecureSkipTlsVerify: true });
    expect(r.warnings.join()).toMatch(/NOT verified/);
    expect((await r.kc.makeApiClient(VersionApi).getCode()).gitVersion).toMatch(/^v1\./);
  });
});
