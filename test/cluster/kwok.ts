// kwok's per-Pod wiring (Exec and Logs objects, whose CRDs the control plane installs): points
// one Pod's simulated logs at a file and its exec at a local folder. Used by tests and benchmarks.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

const group = 'kwok.x-k8s.io';
const version = 'v1alpha1';

export async function wireExec(kc: KubeConfig, namespace: string, pod: string, workDir: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'execs',
    body: {
      apiVersion: `${group}/${version}`,
      kind: 'Exec',
      metadata: { name: pod, namespace },
      spec: { execs: [{ containers: [], local: { workDir } }] },
    },
  });
}

export async function wireLogs(kc: KubeConfig, namespace: string, pod: string, logsFile: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'logs',
    body: {
      apiVersion: `${group}/${version}`,
      kind: 'Logs',
      metadata: { name: pod, namespace },
      spec: { logs: [{ containers: [], logsFile, follow: true }] },
    },
  });
}
