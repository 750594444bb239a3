import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { validateCreateRequest } from '../../app/sandbox/provisioner.js';
import { buildPod, buildService, ownerPodUid, reasonOf, sandboxUrl, statusOf, toSandbox } from '../../app/sandbox/specs.js';

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
    expect(buildService(config, 'abc').spec?.ports?.[0]).toEqual({ name: 'http', port: 9999, targetPort: 9999, protocol: 'TCP' });
    expect(buildPod(config, ids).spec?.containers[0]?.readinessProbe?.httpGet).toEqual({ path: '/v1/sandbox', port: 9999 });
  });

  it('Windows-style host paths keep their style', () => {
    const pod = buildPod(loadConfig({ SKILLS_HOST_PATH: 'D:\\deer\\skills', THREADS_HOST_PATH: 'D:\\deer\\threads' }), ids);
    expect(volumesOf(pod)['user-data']?.hostPath?.path).toBe('D:\\deer\\threads\\thread-1\\user-data');
    expect(volumesOf(pod).skills?.hostPath?.path).toBe('D:\\deer\\skills');
  });
});

describe('buildPod as upstream today (docs/provisioner.md)', () => {
  const B = '/srv/df';
  const base = { DEER_FLOW_HOST_BASE_DIR: B, THREADS_HOST_PATH: `${B}/threads` };
  const request = (config: ReturnType<typeof loadConfig>, input: Parameters<typeof validateCreateRequest>[0]) => {
    const { ids: i, extras } = validateCreateRequest(input, config);
    return buildPod(config, i, extras);
  };
  /** What the Gateway forwards for alice / thread t (its table, the allowlisted rows). */
  const gatewayMounts = [
    { host_path: `${B}/users/alice/threads/t/acp-workspace`, container_path: '/mnt/acp-workspace', read_only: true },
    { host_path: `${B}/users/alice/skills_view/custom`, container_path: '/mnt/skills/custom', read_only: true },
    { host_path: `${B}/users/alice/skills_view/integrations`, container_path: '/mnt/skills/integrations', read_only: true },
    { host_path: `${B}/users/alice/integrations/lark-cli/config`, container_path: '/mnt/integrations/lark-cli/config', read_only: true },
    {
      host_path: `${B}/users/alice/integrations/lark-cli/config/locks`,
      container_path: '/mnt/integrations/lark-cli/config/locks',
      read_only: false,
    },
    { host_path: `${B}/users/alice/integrations/lark-cli/data`, container_path: '/mnt/integrations/lark-cli/data', read_only: false },
    { host_path: `${B}/integrations/lark-cli/sandbox-cli`, container_path: '/mnt/integrations/lark-cli/runtime', read_only: true },
  ];
  const gateway = { sandbox_id: 'abc', thread_id: 't', user_id: 'alice', include_legacy_skills: true, extra_mounts: gatewayMounts };

  it('hostPath: three skills views, user-data, then extra-{i}; the /mnt/skills/custom collision skipped', () => {
    const pod = request(loadConfig(base), gateway);
    expect(pod.spec?.volumes).toEqual([
      { name: 'skills-public', hostPath: { path: `${B}/skills_view/public`, type: 'Directory' } },
      { name: 'skills-custom', hostPath: { path: `${B}/users/alice/skills_view/custom`, type: 'Directory' } },
      { name: 'skills-legacy', hostPath: { path: `${B}/users/alice/skills_view/legacy`, type: 'Directory' } },
      { name: 'user-data', hostPath: { path: `${B}/threads/t/user-data`, type: 'DirectoryOrCreate' } },
      { name: 'extra-0', hostPath: { path: `${B}/users/alice/threads/t/acp-workspace`, type: 'Directory' } },
      { name: 'extra-1', hostPath: { path: `${B}/users/alice/skills_view/integrations`, type: 'Directory' } },
      { name: 'extra-2', hostPath: { path: `${B}/users/alice/integrations/lark-cli/config`, type: 'Directory' } },
      { name: 'extra-3', hostPath: { path: `${B}/users/alice/integrations/lark-cli/config/locks`, type: 'DirectoryOrCreate' } },
      { name: 'extra-4', hostPath: { path: `${B}/users/alice/integrations/lark-cli/data`, type: 'DirectoryOrCreate' } },
      { name: 'extra-5', hostPath: { path: `${B}/integrations/lark-cli/sandbox-cli`, type: 'Directory' } },
    ]);
    const mounts = pod.spec?.containers[0]?.volumeMounts ?? [];
    expect(mounts.map((m) => [m.name, m.mountPath, m.readOnly])).toEqual([
      ['skills-public', '/mnt/skills/public', true],
      ['skills-custom', '/mnt/skills/custom', true],
      ['skills-legacy', '/mnt/skills/legacy', true],
      ['user-data', '/mnt/user-data', false],
      ['extra-0', '/mnt/acp-workspace', true],
      ['extra-1', '/mnt/skills/integrations', true],
      ['extra-2', '/mnt/integrations/lark-cli/config', true],
      ['extra-3', '/mnt/integrations/lark-cli/config/locks', false],
      ['extra-4', '/mnt/integrations/lark-cli/data', false],
      ['extra-5', '/mnt/integrations/lark-cli/runtime', true],
    ]);
    expect(new Set(mounts.map((m) => m.mountPath)).size).toBe(mounts.length);
    expect(pod.spec?.initContainers).toBeUndefined();
    expect(pod.spec?.containers).toHaveLength(1);
    expect(pod.spec?.containers[0]?.env).toBeUndefined();
    expect(pod.spec?.containers[0]?.securityContext).toEqual({ privileged: false, allowPrivilegeEscalation: true });
  });

  it('user-data claim: extra mounts are the claim at deer-flow/<relative>, one volume each; skills claim nests custom', () => {
    const config = loadConfig({
      ...base,
      USERDATA_PVC_NAME: 'data',
      SKILLS_PVC_NAME: 'skills',
      SKILLS_PVC_SUBPATH_TEMPLATE: 'u/{user_id}',
    });
    const pod = request(config, gateway);
    const vols = pod.spec?.volumes ?? [];
    expect(vols[0]).toEqual({ name: 'skills', persistentVolumeClaim: { claimName: 'skills', readOnly: true } });
    expect(vols.find((v) => v.name === 'extra-1')).toEqual({ name: 'extra-1', persistentVolumeClaim: { claimName: 'data' } });
    const mounts = pod.spec?.containers[0]?.volumeMounts ?? [];
    expect(mounts[0]).toEqual({ name: 'skills', mountPath: '/mnt/skills', readOnly: true, subPath: 'u/alice' });
    // Nested under /mnt/skills, not equal to it: kept (no collision in claim mode).
    expect(mounts.find((m) => m.mountPath === '/mnt/skills/custom')).toEqual({
      name: 'extra-1',
      mountPath: '/mnt/skills/custom',
      readOnly: true,
      subPath: 'deer-flow/users/alice/skills_view/custom',
    });
  });

  it('Lark Pattern A: init container, emptyDir, the runtime read-only; the runtime extra mount dropped', () => {
    const config = loadConfig({ ...base, LARK_CLI_INIT_IMAGE: 'lark/init:1' });
    const pod = request(config, { ...gateway, provision_lark_cli_runtime: true });
    expect(pod.spec?.initContainers).toEqual([
      {
        name: 'lark-cli-init',
        image: 'lark/init:1',
        imagePullPolicy: 'IfNotPresent',
        env: [{ name: 'LARK_CLI_RUNTIME_DEST', value: '/mnt/integrations/lark-cli/runtime' }],
        volumeMounts: [{ name: 'lark-cli-runtime', mountPath: '/mnt/integrations/lark-cli/runtime' }],
        securityContext: { privileged: false, allowPrivilegeEscalation: false },
      },
    ]);
    expect(pod.spec?.volumes?.at(-1)).toEqual({ name: 'lark-cli-runtime', emptyDir: {} });
    const mounts = pod.spec?.containers[0]?.volumeMounts ?? [];
    expect(mounts.filter((m) => m.mountPath === '/mnt/integrations/lark-cli/runtime')).toEqual([
      { name: 'lark-cli-runtime', mountPath: '/mnt/integrations/lark-cli/runtime', readOnly: true },
    ]);
    expect(mounts.some((m) => m.mountPath === '/mnt/integrations/lark-cli/config')).toBe(true);
  });

  it('Lark Pattern B: shim init, broker sidecar with the config/locks/data volumes, the broker URL in the sandbox', () => {
    const config = loadConfig({ ...base, LARK_CLI_BROKER_IMAGE: 'lark/broker:1', DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS: 'auth,logout' });
    const pod = request(config, { ...gateway, provision_lark_cli_runtime: true, provision_lark_cli_broker: true });
    expect(pod.spec?.initContainers?.map((c) => [c.name, c.image, c.args])).toEqual([
      ['lark-cli-shim-init', 'lark/broker:1', ['install-shim', '/mnt/integrations/lark-cli/runtime']],
    ]);
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual([
      'skills-public',
      'skills-custom',
      'skills-legacy',
      'user-data',
      'extra-0',
      'extra-1',
      'lark-cli-runtime',
      'lark-cli-config',
      'lark-cli-locks',
      'lark-cli-data',
    ]);
    const [sandbox, broker] = pod.spec?.containers ?? [];
    expect(sandbox?.volumeMounts?.map((m) => m.mountPath)).toEqual([
      '/mnt/skills/public',
      '/mnt/skills/custom',
      '/mnt/skills/legacy',
      '/mnt/user-data',
      '/mnt/acp-workspace',
      '/mnt/skills/integrations',
      '/mnt/integrations/lark-cli/runtime',
    ]);
    expect(sandbox?.env).toEqual([{ name: 'DEERFLOW_LARK_BROKER_URL', value: 'http://127.0.0.1:8788' }]);
    expect(broker).toEqual({
      name: 'lark-cli-broker',
      image: 'lark/broker:1',
      imagePullPolicy: 'IfNotPresent',
      args: ['serve'],
      env: [
        { name: 'LARKSUITE_CLI_CONFIG_DIR', value: '/var/lark/config' },
        { name: 'LARKSUITE_CLI_DATA_DIR', value: '/var/lark/data' },
        { name: 'DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS', value: 'auth,logout' },
      ],
      volumeMounts: [
        { name: 'lark-cli-config', mountPath: '/var/lark/config', readOnly: true },
        { name: 'lark-cli-locks', mountPath: '/var/lark/config/locks', readOnly: false },
        { name: 'lark-cli-data', mountPath: '/var/lark/data', readOnly: false },
      ],
      securityContext: { privileged: false, allowPrivilegeEscalation: false },
    });
  });

  it('the Lark flags without their images change nothing', () => {
    const config = loadConfig(base);
    const plain = request(config, gateway);
    expect(request(config, { ...gateway, provision_lark_cli_runtime: true, provision_lark_cli_broker: true })).toEqual(plain);
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

  it('given its Pod, the Service is owned by it (the garbage collector removes it with the Pod); without, no owner', () => {
    const config = loadConfig({});
    const pod = { metadata: { name: 'sandbox-abc', uid: 'u-1' } };
    const owned = buildService(config, 'abc', undefined, pod);
    expect(owned.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'sandbox-abc', uid: 'u-1' }]);
    expect(ownerPodUid(owned)).toBe('u-1');
    // No blockOwnerDeletion: it would need pods/finalizers update rights the chart's Role does not grant.
    expect(owned.metadata?.ownerReferences?.[0]).not.toHaveProperty('blockOwnerDeletion');
    expect(buildService(config, 'abc').metadata).not.toHaveProperty('ownerReferences');
    expect(ownerPodUid(buildService(config, 'abc'))).toBeUndefined();
    expect(
      ownerPodUid({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'r' }] } }),
    ).toBeUndefined();
    expect(ownerPodUid(undefined)).toBeUndefined();
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
    expect(reasonOf({ metadata: { deletionTimestamp: new Date() }, status: { phase: 'Running' } })).toMatch(/^Deleting: /);
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
      expires_at: null,
      expiry_reason: null,
    });
    // With idle expiry on, the sandbox says when it goes.
    expect(toSandbox({ ...config, idleSeconds: 60 }, 'abc', pod, svc)).toMatchObject({
      expires_at: '2026-01-02T03:05:05.000Z',
      expiry_reason: 'idle',
    });
  });
});
