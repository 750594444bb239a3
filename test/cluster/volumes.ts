// A PersistentVolumeClaim bound to a pre-bound PersistentVolume, for tests and benchmarks of the
// PVC migration backend (kwok has no storage; the helper's exec runs in a local folder instead).
import type { CoreV1Api } from '@kubernetes/client-node';

export async function createBoundClaim(
  core: CoreV1Api,
  namespace: string,
  claim: string,
  pvName: string,
  timeoutMs = 60_000,
): Promise<void> {
  await core.createPersistentVolume({
    body: {
      metadata: { name: pvName },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        hostPath: { path: '/tmp/spd-unused' },
        claimRef: { namespace, name: claim },
      },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name: claim },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', volumeName: pvName, resources: { requests: { storage: '1Gi' } } },
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await core.readNamespacedPersistentVolumeClaim({ namespace, name: claim })).status?.phase === 'Bound') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`claim ${namespace}/${claim} did not become Bound within ${timeoutMs} ms`);
}
