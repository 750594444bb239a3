import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { buildPod, buildService, reasonOf, sandboxUrl, statusOf, toSandbox } from '../../app/sandbox/specs.js';

const ids = { sandboxId: 'abc', threadId: 'thread-1', userId: 'alice' };
const volumesOf = (pod: V1Pod) => Object.fromEntries((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
const mountsOf = (pod: V1Pod) => Object.fromEntries((pod.spec?.containers[0]?.volumeMounts ?? []).map((m) => [m.name, m]));

describe('buildPod', () => {
  it('hostPath mode (default)', () => {
    const pod = buildPod(loadConfig({ SKILLS_HOST_PATH: '/home/me/skills', THREADS_HOST_PATH: '/home/me/threads' }), ids);
    expect(pod.metadata).toMatchObject({
      name: 'sandbox-abc',
      namespace: 'deer-flow',
      labels: {
        app: 'deer-flow-sandbox',
        'sandbox-id': 'abc',
        'app.kubernetes.io/name': 'deer-flow',
        'app.kubernetes.io/component': 'sandbox',
      },
      annotations: { 'deer-flow/thread-id': 'thread-1', 'deer-flow/user-id': 'alice' },
    });
    expect(volumesOf(pod)).toEqual({
      skills: { name: 'skills', hostPath: { path: '/home/me/skills', type: 'Directory' } },
      'user-data': { name: 'user-data', hostPath: { path: '/home/me/threads/thread-1/user-data', type: 'DirectoryOrCreate' } },
    });
    expect(mountsOf(pod)).toEqual({
      skills: { name: 'skills', mountPath: '/mnt/skills', readOnly: true },
      'user-data': { name: 'user-data', mountPath: '/mnt/user-data', readOnly: false },
    });
    const c = pod.spec?.containers[0];
    expect(c?.image).toBe(loadConfig({}).sandboxImage);
    expect(c?.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
  });

  it('PVC mode without subPath template', () => {
    const pod = buildPod(loadConfig({ SKILLS_PVC_NAME: 'skills', USERDATA_PVC_NAME: 'data' }), ids);
    expect(volumesOf(pod).skills).toEqual({ name: 'skills', persistentVolumeClaim: { claimName: 'skills', readOnly: true } });
    expect(mountsOf(pod).skills?.subPath).toBeUndefined();
    expect(mountsOf(pod)['user-data']?.subPath).toBe('deer-flow/users/alice/threads/thread-1/user-data');
  });

  it('PVC mode with a subPath template', () => {
    const pod = buildPod(loadConfig({ SKILLS_PVC_NAME: 'skills', SKILLS_PVC_SUBPATH_TEMPLATE: 'tenants/{user_id}/t/{thread_id}' }), ids);
    expect(mountsOf(pod).skills?.subPath).toBe('tenants/alice/t/thread-1');
    // user data stays on the host path when only skills use a PVC
    expect(volumesOf(pod)['user-data']?.hostPath?.path).toBe('/.deer-flow/threads/thread-1/user-data');
  });

  it('custom container port', () => {
    const config = loadConfig({ SANDBOX_CONTAINER_PORT: '9999' });
    expect(buildPod(config, ids).spec?.containers[0]?.ports?.[0]?.containerPort).toBe(9999);
    expect(buildService(config, 'abc').spec?.ports?.[0]).toEqual({ name: 'http', port: 9999, targetPort: 'http', protocol: 'TCP' });
  });

  it('Windows-style host paths keep their style', () => {
    const pod = buildPod(loadConfig({ SKILLS_HOST_PATH: 'D:\\deer\\skills', THREADS_HOST_PATH: 'D:\\deer\\threads' }), ids);
    expect(volumesOf(pod)['user-data']?.hostPath?.path).toBe('D:\\deer\\threads\\thread-1\\user-data');
    expect(volumesOf(pod).skills?.hostPath?.path).toBe('D:\\deer\\skills');
  });
});

describe('buildService and URLs', () => {
  it('NodePort: URL from NODE_HOST and the allocated nodePort; none before allocation', () => {
    const config = loadConfig({ NODE_HOST: 'localhost' });
    const svc = buildService(config, 'abc');
    expect(svc.metadata?.name).toBe('sandbox-abc-svc');
    expect(svc.spec).toMatchObject({ type: 'NodePort', selector: { 'sandbox-id': 'abc' } });
    expect(sandboxUrl(config, svc)).toBe('');
    const allocated: V1Service = { ...svc, spec: { ...svc.spec, ports: [{ ...svc.spec!.ports![0]!, nodePort: 31234 }] } };
    expect(sandboxUrl(config, allocated)).toBe('http://localhost:31234');
  });

  it('ClusterIP: the in-cluster DNS name', () => {
    const config = loadConfig({ SANDBOX_SERVICE_TYPE: 'ClusterIP', K8S_NAMESPACE: 'ns1' });
    expect(sandboxUrl(config, buildService(config, 'abc'))).toBe('http://sandbox-abc-svc.ns1.svc.cluster.local:8080');
  });

  it('no Service, no URL', () => {
    expect(sandboxUrl(loadConfig({}), undefined)).toBe('');
  });
});

describe('status', () => {
  it('is the Pod phase, NotFound without Pod, Unknown for anything else', () => {
    expect(statusOf(undefined)).toBe('NotFound');
    expect(statusOf({ status: { phase: 'Running' } })).toBe('Running');
    expect(statusOf({ status: {} })).toBe('Unknown');
    expect(statusOf({ status: { phase: 'Weird' } })).toBe('Unknown');
  });

  it('explains why a Pod waits', () => {
    expect(
      reasonOf({
        status: {
          containerStatuses: [
            {
              name: 's',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
            },
          ],
        },
      }),
    ).toBe(
      'ImagePullBackOff: Back-off pulling image "x" (the node cannot get the sandbox image: load it into a local cluster with `sandbox-provisioner cluster load-image` (Cluster screen: "Load sandbox image"), or check SANDBOX_IMAGE)',
    );
    expect(
      reasonOf({
        status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] },
      }),
    ).toBe('Unschedulable: 0/1 nodes are available');
    expect(reasonOf({ status: { phase: 'Running' } })).toBeNull();
  });

  it('toSandbox joins Pod and Service', () => {
    const config = loadConfig({});
    const pod = buildPod(config, ids);
    pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    pod.metadata!.creationTimestamp = new Date('2026-01-02T03:04:05Z');
    const svc = buildService(config, 'abc');
    svc.spec!.ports![0]!.nodePort = 30001;
    expect(toSandbox(config, 'abc', pod, svc)).toEqual({
      sandbox_id: 'abc',
      sandbox_url: 'http://host.docker.internal:30001',
      status: 'Running',
      thread_id: 'thread-1',
      user_id: 'alice',
      ready: true,
      node_port: 30001,
      created_at: '2026-01-02T03:04:05.000Z',
      reason: null,
    });
  });
});
