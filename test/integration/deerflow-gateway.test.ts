// The drop-in as DeerFlow's Gateway at upstream main uses it, against the real API server: the
// request bodies its remote backend sends for a user and thread (docs/provisioner.md, "Upstream as it is today"), in every
// storage and service mode; the Pods as the API server stored them; upstream's 400s and 422s
// with nothing created; the /mnt/skills/custom collision (upstream's 500) creating a sandbox;
// re-creating the same id; and the capabilities the Gateway reads.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { clusterInfo, testKubeConfig, uniqueName } from './helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const running: RunningProvisioner[] = [];
const namespaces: string[] = [];
const KEY = 'gateway-key-0123456789';
const B = '/srv/deer-flow';

afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

async function serve(env: Record<string, string>) {
  const namespace = uniqueName('gw');
  namespaces.push(namespace);
  const startEnv = {
    KUBECONFIG_PATH: clusterInfo().kubeconfig,
    K8S_NAMESPACE: namespace,
    PROVISIONER_PORT: '0',
    PROVISIONER_API_KEY: KEY,
    DEER_FLOW_HOST_BASE_DIR: B,
    THREADS_HOST_PATH: `${B}/threads`,
    ...env,
  };
  const api = await startProvisioner(startEnv, () => {});
  running.push(api);
  const post = async (body: unknown) => {
    const r = await fetch(`${api.url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const pod = (id: string): Promise<V1Pod> => core.readNamespacedPod({ name: `sandbox-${id}`, namespace });
  const podCount = async () => (await core.listNamespacedPod({ namespace })).items.length;
  return { api, namespace, post, pod, podCount };
}

/** remote_backend.py's payload for a user and thread (sandbox id = sha256(user:thread)[:16]). */
function gatewayPayload(user: string, thread: string, opts: { lark?: 'runtime' | 'broker' } = {}) {
  const sandbox_id = 'a1b2c3d4e5f60718';
  const extra_mounts = [
    { host_path: `${B}/users/${user}/threads/${thread}/acp-workspace`, container_path: '/mnt/acp-workspace', read_only: true },
    { host_path: `${B}/users/${user}/skills_view/custom`, container_path: '/mnt/skills/custom', read_only: true },
    { host_path: `${B}/users/${user}/skills_view/integrations`, container_path: '/mnt/skills/integrations', read_only: true },
    { host_path: `${B}/users/${user}/integrations/lark-cli/config`, container_path: '/mnt/integrations/lark-cli/config', read_only: true },
    {
      host_path: `${B}/users/${user}/integrations/lark-cli/config/locks`,
      container_path: '/mnt/integrations/lark-cli/config/locks',
      read_only: false,
    },
    { host_path: `${B}/users/${user}/integrations/lark-cli/data`, container_path: '/mnt/integrations/lark-cli/data', read_only: false },
    // The client drops the runtime mount itself when a Lark flag is set.
    ...(opts.lark
      ? []
      : [{ host_path: `${B}/integrations/lark-cli/sandbox-cli`, container_path: '/mnt/integrations/lark-cli/runtime', read_only: true }]),
  ];
  return {
    sandbox_id,
    thread_id: thread,
    user_id: user,
    include_legacy_skills: false,
    provision_lark_cli_runtime: opts.lark !== undefined,
    provision_lark_cli_broker: opts.lark === 'broker',
    extra_mounts,
  };
}

const mountsOf = (pod: V1Pod, container = 0) =>
  (pod.spec?.containers[container]?.volumeMounts ?? []).map(
    (m) => `${m.name} ${m.mountPath}${m.readOnly ? ' ro' : ''}${m.subPath ? ` @${m.subPath}` : ''}`,
  );
const volumesOf = (pod: V1Pod) =>
  (pod.spec?.volumes ?? []).map((v) =>
    v.hostPath
      ? `${v.name} host ${v.hostPath.path} ${v.hostPath.type}`
      : v.persistentVolumeClaim
        ? `${v.name} claim ${v.persistentVolumeClaim.claimName}`
        : `${v.name} ${v.emptyDir ? 'emptyDir' : '?'}`,
  );

describe('hostPath mode (the Gateway against upstream answers 500 here: mountPath must be unique)', () => {
  it('creates the sandbox: skills views, user-data, extra-{i}, the collision skipped', async () => {
    const s = await serve({});
    const r = await s.post(gatewayPayload('alice', 't1'));
    expect(r.status).toBe(200);
    expect(r.body.sandbox_url).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(volumesOf(pod)).toEqual([
      `skills-public host ${B}/skills_view/public Directory`,
      `skills-custom host ${B}/users/alice/skills_view/custom Directory`,
      `skills-legacy host ${B}/users/alice/skills_view/legacy Directory`,
      `user-data host ${B}/threads/t1/user-data DirectoryOrCreate`,
      `extra-0 host ${B}/users/alice/threads/t1/acp-workspace Directory`,
      `extra-1 host ${B}/users/alice/skills_view/integrations Directory`,
      `extra-2 host ${B}/users/alice/integrations/lark-cli/config Directory`,
      `extra-3 host ${B}/users/alice/integrations/lark-cli/config/locks DirectoryOrCreate`,
      `extra-4 host ${B}/users/alice/integrations/lark-cli/data DirectoryOrCreate`,
      `extra-5 host ${B}/integrations/lark-cli/sandbox-cli Directory`,
    ]);
    expect(mountsOf(pod)).toEqual([
      'skills-public /mnt/skills/public ro',
      'skills-custom /mnt/skills/custom ro',
      'skills-legacy /mnt/skills/legacy ro',
      'user-data /mnt/user-data',
      'extra-0 /mnt/acp-workspace ro',
      'extra-1 /mnt/skills/integrations ro',
      'extra-2 /mnt/integrations/lark-cli/config ro',
      'extra-3 /mnt/integrations/lark-cli/config/locks',
      'extra-4 /mnt/integrations/lark-cli/data',
      'extra-5 /mnt/integrations/lark-cli/runtime ro',
    ]);
    expect(pod.spec?.initContainers ?? []).toEqual([]);
    // The same request again: the same sandbox, no second Pod.
    const again = await s.post(gatewayPayload('alice', 't1'));
    expect(again.status).toBe(200);
    expect(again.body.sandbox_url).toBe(r.body.sandbox_url);
    expect(await s.podCount()).toBe(1);
  });

  it('Lark Pattern B: the broker sidecar with its volumes, the shim init container, the broker URL', async () => {
    const s = await serve({ LARK_CLI_BROKER_IMAGE: 'lark/broker:1', LARK_CLI_INIT_IMAGE: 'lark/init:1' });
    const caps = (await (await fetch(`${s.api.url}/api/capabilities`, { headers: { 'x-api-key': KEY } })).json()) as Record<
      string,
      boolean
    >;
    expect(caps).toMatchObject({ lark_cli_init_image: true, lark_cli_broker_image: true });
    expect((await s.post(gatewayPayload('bob', 't2', { lark: 'broker' }))).status).toBe(200);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(pod.spec?.initContainers?.map((c) => c.name)).toEqual(['lark-cli-shim-init']);
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['sandbox', 'lark-cli-broker']);
    expect(mountsOf(pod, 1)).toEqual([
      'lark-cli-config /var/lark/config ro',
      'lark-cli-locks /var/lark/config/locks',
      'lark-cli-data /var/lark/data',
    ]);
    expect(pod.spec?.containers[0]?.env).toEqual([{ name: 'DEERFLOW_LARK_BROKER_URL', value: 'http://127.0.0.1:8788' }]);
    expect(mountsOf(pod).at(-1)).toBe('lark-cli-runtime /mnt/integrations/lark-cli/runtime ro');
  });

  it('Lark Pattern A: the init container and the runtime emptyDir', async () => {
    const s = await serve({ LARK_CLI_INIT_IMAGE: 'lark/init:1' });
    const caps = (await (await fetch(`${s.api.url}/api/capabilities`, { headers: { 'x-api-key': KEY } })).json()) as Record<
      string,
      boolean
    >;
    expect(caps).toMatchObject({ lark_cli_init_image: true, lark_cli_broker_image: false });
    expect((await s.post(gatewayPayload('carol', 't3', { lark: 'runtime' }))).status).toBe(200);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(pod.spec?.initContainers?.map((c) => [c.name, c.image])).toEqual([['lark-cli-init', 'lark/init:1']]);
    expect(volumesOf(pod).at(-1)).toBe('lark-cli-runtime emptyDir');
  });
});

describe('claim modes and ClusterIP', () => {
  it('user-data claim: user-data and extras are subPaths of the claim', async () => {
    const s = await serve({ USERDATA_PVC_NAME: 'deer-flow-data' });
    expect((await s.post(gatewayPayload('alice', 't1'))).status).toBe(200);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(mountsOf(pod)).toContain('user-data /mnt/user-data @deer-flow/users/alice/threads/t1/user-data');
    expect(mountsOf(pod)).toContain('extra-0 /mnt/acp-workspace ro @deer-flow/users/alice/threads/t1/acp-workspace');
    expect(
      volumesOf(pod)
        .filter((v) => v.startsWith('extra-'))
        .every((v) => v.endsWith('claim deer-flow-data')),
    ).toBe(true);
  });

  it('user-data and skills claims with a subPath template: /mnt/skills with custom nested in it', async () => {
    const s = await serve({
      USERDATA_PVC_NAME: 'deer-flow-data',
      SKILLS_PVC_NAME: 'skills',
      SKILLS_PVC_SUBPATH_TEMPLATE: 'tenants/{user_id}',
    });
    expect((await s.post(gatewayPayload('alice', 't1'))).status).toBe(200);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(mountsOf(pod).slice(0, 3)).toEqual([
      'skills /mnt/skills ro @tenants/alice',
      'user-data /mnt/user-data @deer-flow/users/alice/threads/t1/user-data',
      'extra-0 /mnt/acp-workspace ro @deer-flow/users/alice/threads/t1/acp-workspace',
    ]);
    expect(mountsOf(pod)).toContain('extra-1 /mnt/skills/custom ro @deer-flow/users/alice/skills_view/custom');
  });

  it('ClusterIP with a custom port: the in-cluster URL, probes and Service on that port', async () => {
    const s = await serve({ SANDBOX_SERVICE_TYPE: 'ClusterIP', SANDBOX_CONTAINER_PORT: '9090' });
    const r = await s.post(gatewayPayload('alice', 't1'));
    expect(r.body.sandbox_url).toBe(`http://sandbox-a1b2c3d4e5f60718-svc.${s.namespace}.svc.cluster.local:9090`);
    const pod = await s.pod('a1b2c3d4e5f60718');
    expect(pod.spec?.containers[0]?.readinessProbe?.httpGet?.port).toBe(9090);
    const svc = await core.readNamespacedService({ name: 'sandbox-a1b2c3d4e5f60718-svc', namespace: s.namespace });
    expect(svc.spec?.ports?.[0]).toMatchObject({ name: 'http', port: 9090, targetPort: 9090 });
  });
});

describe('refusals, as upstream words them, creating nothing', () => {
  const cases: [string, (p: ReturnType<typeof gatewayPayload>) => unknown, number, string | RegExp][] = [
    [
      'too many',
      (p) => ({ ...p, extra_mounts: Array.from({ length: 11 }, () => p.extra_mounts[0]) }),
      400,
      'Too many extra mounts; max is 10',
    ],
    [
      'relative host path',
      (p) => ({ ...p, extra_mounts: [{ ...p.extra_mounts[0], host_path: 'rel/x' }] }),
      400,
      'Extra mount host path must be absolute: rel/x',
    ],
    [
      'outside the base',
      (p) => ({ ...p, extra_mounts: [{ ...p.extra_mounts[0], host_path: '/etc' }] }),
      400,
      'Extra mount host path is outside DeerFlow state: /etc',
    ],
    [
      'relative container path',
      (p) => ({ ...p, extra_mounts: [{ ...p.extra_mounts[0], container_path: 'mnt/x' }] }),
      400,
      'Extra mount path must be absolute: mnt/x',
    ],
    [
      'not allowlisted',
      (p) => ({ ...p, extra_mounts: [{ ...p.extra_mounts[0], container_path: '/mnt/user-data' }] }),
      400,
      'Unsupported extra mount path: /mnt/user-data',
    ],
    [
      'duplicate',
      (p) => ({ ...p, extra_mounts: [p.extra_mounts[0], p.extra_mounts[0]] }),
      400,
      'Duplicate extra mount path: /mnt/acp-workspace',
    ],
    ['extra_mounts not a list', (p) => ({ ...p, extra_mounts: 'x' }), 422, /extra_mounts/],
    ['a mount without host_path', (p) => ({ ...p, extra_mounts: [{ container_path: '/mnt/acp-workspace' }] }), 422, /extra_mounts/],
    ['user_id null', (p) => ({ ...p, user_id: null }), 422, /user_id/],
  ];

  it.each(cases)('%s', async (_what, make, status, detail) => {
    const s = await serve({});
    const r = await s.post(make(gatewayPayload('alice', 't1')));
    expect(r.status).toBe(status);
    if (typeof detail === 'string') expect(r.body).toEqual({ detail });
    else expect(JSON.stringify(r.body.detail)).toMatch(detail);
    expect(await s.podCount()).toBe(0);
  });
});
