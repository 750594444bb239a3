// kwok's per-Pod wiring (Exec, Logs and PortForward objects, whose CRDs the control plane
// installs): points one Pod's simulated logs at a file, its exec at a local folder and a port at
// a local server. Used by tests and benchmarks.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

const group = 'kwok.x-k8s.io';
const version = 'v1alpha1';

/** kwok matches these objects to the Pod of the same name and namespace. */
const PLURALS = { Exec: 'execs', Logs: 'logs', PortForward: 'portforwards' } as const;

async function createForPod(kc: KubeConfig, namespace: string, pod: string, kind: keyof typeof PLURALS, spec: object): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: PLURALS[kind],
    body: { apiVersion: `${group}/${version}`, kind, metadata: { name: pod, namespace }, spec },
  });
}

export function wireExec(kc: KubeConfig, namespace: string, pod: string, workDir: string): Promise<void> {
  return createForPod(kc, namespace, pod, 'Exec', { execs: [{ containers: [], local: { workDir } }] });
}

export function wireLogs(kc: KubeConfig, namespace: string, pod: string, logsFile: string): Promise<void> {
  return createForPod(kc, namespace, pod, 'Logs', { logs: [{ containers: [], logsFile, follow: true }] });
}

/** The Pod's `port`, port-forwarded through the API server, reaches 127.0.0.1:`targetPort` here. */
export function wirePortForward(kc: KubeConfig, namespace: string, pod: string, port: number, targetPort: number): Promise<void> {
  return createForPod(kc, namespace, pod, 'PortForward', {
    forwards: [{ ports: [port], target: { port: targetPort, address: '127.0.0.1' } }],
  });
}
