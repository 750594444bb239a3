// kwok's per-Pod wiring (Exec and Logs objects, whose CRDs the control plane installs): points
// one Pod's simulated logs at a file and its exec at a local folder. Used by tests and benchmarks.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

const group = 'kwok.x-k8s.io';
const version = 'v1alpha1';

/** kwok matches these objects to the Pod of the same name and namespace. */
async function createForPod(kc: KubeConfig, namespace: string, pod: string, kind: 'Exec' | 'Logs', spec: object): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: kind === 'Exec' ? 'execs' : 'logs',
    body: { apiVersion: `${group}/${version}`, kind, metadata: { name: pod, namespace }, spec },
  });
}

export function wireExec(kc: KubeConfig, namespace: string, pod: string, workDir: string): Promise<void> {
  return createForPod(kc, namespace, pod, 'Exec', { execs: [{ containers: [], local: { workDir } }] });
}

export function wireLogs(kc: KubeConfig, namespace: string, pod: string, logsFile: string): Promise<void> {
  return createForPod(kc, namespace, pod, 'Logs', { logs: [{ containers: [], logsFile, follow: true }] });
}
