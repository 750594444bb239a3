// The real-kind lane: the product's main job on a real Docker engine and a real kind cluster,
// driven through its own CLI and APIs. One cluster for the whole file; each step builds on the
// one before (create → load image → serve → sandbox → reach it → logs → exec → PVC migration →
// container kubeconfig → delete). Images and the engine come from test/kind/global-setup.ts.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execInPod } from '../../app/kube/exec.js';
import { DeskClient } from '../../renderer/src/api/client.js';
import { hermeticPath } from '../support/hermetic-path.js';
import { startServe } from '../support/serve-process.js';
import { waitUntil } from '../support/wait.js';

const lane = inject('kindLane');
const cluster = `spd-lane-${process.pid % 10000}`;
const nodePorts = '30100-30109';
const work = mkdtempSync(join(tmpdir(), 'spd-kind-lane-'));
const dataDir = join(work, 'deer-flow');
const kubeconfig = join(work, 'kubeconfig');
/** Only our kind and docker CLIs on PATH, both pointed at the test engine. */
const env: Record<string, string> = {
  PATH: hermeticPath(lane.toolsDir),
  HOME: work,
  DOCKER_HOST: lane.dockerHost,
  KUBECONFIG: kubeconfig,
};

async function cli(args: string[], timeout = 300_000) {
  return execa(process.execPath, ['--import', 'tsx', 'app/cli/main.ts', ...args], { env, extendEnv: false, reject: false, timeout });
}
const docker = (args: string[]) => execa(join(lane.toolsDir, 'docker'), args, { env, extendEnv: false, reject: false });

/** What `cluster create` printed for the provisioner (NAME=value lines on stderr). */
let provisionerEnv: Record<string, string> = {};
let serve: Awaited<ReturnType<typeof startServe>> | undefined;
let kc: KubeConfig;
/** The address the cluster publishes on (127.0.0.1, or on Linux the bridge gateway). */
let hostAddress = '';
let nodePort = 0;

/** The desk API of the running serve, through the renderer's own client. */
function deskClient(): DeskClient {
  if (!serve) throw new Error('serve did not start');
  return new DeskClient(new URL(serve.uiUrl).origin, new URL(serve.uiUrl).searchParams.get('token') ?? '');
}

/** Polls once a second (a real cluster settles in seconds; no need to press its API server). */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000) => waitUntil(what, fn, timeoutMs, 1000);

beforeAll(() => {
  // DeerFlow's data folder as DeerFlow lays it out: the skills views, and a thread's files.
  for (const d of ['skills_view/public', 'users/default/skills_view/custom', 'users/default/skills_view/legacy'])
    mkdirSync(join(dataDir, d), { recursive: true });
  mkdirSync(join(dataDir, 'threads', 'thread-1', 'user-data', 'workspace'), { recursive: true });
  writeFileSync(join(dataDir, 'threads', 'thread-1', 'user-data', 'workspace', 'hello.txt'), 'written on the host\n');
});

afterAll(async () => {
  await serve?.stop().catch(() => undefined);
  // A failed run must not leave a cluster behind (the delete step does this when all passed).
  await execa(join(lane.toolsDir, 'kind'), ['delete', 'cluster', '--name', cluster], { env, extendEnv: false, reject: false });
});

describe('the real-kind lane', () => {
  it('creates a kind cluster through the CLI, on the node image built here, with the data folder mounted', async () => {
    const r = await cli(
      ['cluster', 'create', '--kind', '--name', cluster, '--data-dir', dataDir, '--image', lane.nodeImage, '--node-ports', nodePorts],
      600_000,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`created: kubeconfig context kind-${cluster}`);
    provisionerEnv = Object.fromEntries([...r.stderr.matchAll(/^ {2}([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
    expect(provisionerEnv).toMatchObject({
      SANDBOX_SERVICE_TYPE: 'NodePort',
      SANDBOX_NODE_PORT_RANGE: nodePorts,
      DEER_FLOW_HOST_BASE_DIR: dataDir,
    });
    hostAddress = /NodePorts \S+ on (\S+)/.exec(r.stderr)?.[1] ?? '';
    expect(hostAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    expect(kc.getCurrentContext()).toBe(`kind-${cluster}`);
    // kind waits for the control plane, not for the node: wait until it is Ready for Pods.
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor('node Ready', async () => {
      const nodes = await core.listNode();
      return nodes.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? true : undefined;
    });
  });

  it('loads the sandbox image into the node, and then reports it there', async () => {
    const load = await cli(['cluster', 'load-image', lane.sandboxImage, '--kind', cluster]);
    expect(load.exitCode, load.stderr).toBe(0);
    // `cluster image` reads the images the kubelet reports in the Node's status, which it
    // posts every 10 s or so: right after a load it may still say "on none" (measured here).
    const status = await waitFor(
      'the node reports the image',
      async () => {
        const r = await cli(['cluster', 'image', lane.sandboxImage]);
        return r.exitCode === 0 ? r : undefined;
      },
      90_000,
    );
    expect(status.stdout).toContain('on 1 of 1 node(s)');
  });

  it('serve creates a sandbox that becomes Running as a real container, with the data folder at /mnt/user-data', async () => {
    serve = await startServe({
      ...env,
      ...provisionerEnv,
      KUBECONFIG_PATH: kubeconfig,
      K8S_NAMESPACE: 'deer-flow-lane',
      SANDBOX_IMAGE: lane.sandboxImage,
    });
    const created = await fetch(`${serve.apiUrl}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandbox_id: 'lane-1', thread_id: 'thread-1' }),
    });
    expect(created.status).toBe(200);
    const body = (await created.json()) as { sandbox_url: string };
    const port = /^http:\/\/host\.docker\.internal:(\d+)$/.exec(body.sandbox_url)?.[1];
    expect(port, body.sandbox_url).toBeDefined();
    nodePort = Number(port);
    const running = await waitFor('sandbox Running', async () => {
      const r = (await (await fetch(`${serve?.apiUrl}/api/sandboxes/lane-1`)).json()) as { status: string };
      return r.status === 'Running' ? r : undefined;
    });
    expect(running).toMatchObject({ sandbox_id: 'lane-1', status: 'Running' });
  });

  it('the sandbox URL answers from this machine', async () => {
    const answer = await waitFor('sandbox answers', async () => {
      const r = await fetch(`http://${hostAddress}:${nodePort}/v1/sandbox`, { signal: AbortSignal.timeout(5000) });
      return r.ok ? ((await r.json()) as { status: string; files: string[]; hostname: string }) : undefined;
    });
    expect(answer).toMatchObject({ status: 'ok', hostname: 'sandbox-lane-1' });
    expect(answer.files).toContain('/mnt/user-data/workspace/hello.txt');
  });

  it('the sandbox URL answers from a container on the default bridge, through host.docker.internal, as DeerFlow reaches it', async () => {
    const r = await docker([
      'run',
      '--rm',
      '--add-host',
      'host.docker.internal:host-gateway',
      lane.sandboxImage,
      'sandbox-stub',
      'fetch',
      `http://host.docker.internal:${nodePort}/v1/sandbox`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'ok', hostname: 'sandbox-lane-1' });
  });

  it('streams the container’s real log output through the desk API', async () => {
    if (!serve) throw new Error('serve did not start');
    const token = new URL(serve.uiUrl).searchParams.get('token') ?? '';
    const abort = new AbortController();
    const res = await fetch(`${new URL(serve.uiUrl).origin}/desk/sandboxes/lane-1/logs?follow=true`, {
      headers: { 'x-desk-token': token },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const ticks = new Set<string>();
    const end = Date.now() + 30_000;
    while (ticks.size < 3 && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      for (const m of text.matchAll(/tick (\d+)/g)) ticks.add(m[1] as string);
    }
    abort.abort();
    // Lines arrive as the container writes them, not as a one-off dump.
    expect(ticks.size, text.slice(-500)).toBeGreaterThanOrEqual(3);
    expect(text).toContain('sandbox-stub listening on :8080');
  });

  it('exec runs a command in the sandbox container and reads the host’s file', async () => {
    const r = await execInPod(kc, 'deer-flow-lane', 'sandbox-lane-1', [
      'sh',
      '-c',
      'cat /mnt/user-data/workspace/hello.txt; echo on-$(hostname) >&2; exit 3',
    ]);
    expect(r).toEqual({ stdout: 'written on the host\n', stderr: 'on-sandbox-lane-1\n', exitCode: 3 });
  });

  it('a terminal into the real container through the desk API: its shell answers and gets the window size', async () => {
    const client = deskClient();
    const t = await client.call('openTerminal', { params: { id: 'lane-1' }, body: { cols: 90, rows: 25 } });
    const abort = new AbortController();
    let text = '';
    void client
      .terminal(
        t.id,
        (e) => {
          if (e.type !== 'ended') text += e.data;
        },
        abort.signal,
      )
      .catch(() => undefined);
    await client.call('terminalInput', {
      params: { tid: t.id },
      body: { data: 'echo "lane=$((6*7))"; stty size; cat /mnt/user-data/workspace/hello.txt\r' },
    });
    try {
      await waitFor(
        'the shell answers',
        async () => (text.includes('lane=42') && text.includes('25 90') && text.includes('written on the host') ? true : undefined),
        30_000,
      );
    } finally {
      abort.abort();
    }
    await client.call('closeTerminal', { params: { tid: t.id } });
  });

  it('the real sandbox’s files: on the host, and as the sandbox sees them (its busybox tools), downloaded and uploaded', async () => {
    const client = deskClient();
    const host = await client.call('listFiles', { params: { id: 'lane-1' }, body: { path: 'workspace' } });
    expect(host.via).toBe('host');
    expect(host.entries.map((e) => e.name)).toContain('hello.txt');
    const inside = await client.call('listFiles', { params: { id: 'lane-1' }, body: { path: 'workspace', via: 'cluster' } });
    expect(inside.via).toBe('cluster');
    expect(inside.entries.find((e) => e.name === 'hello.txt')).toMatchObject({ type: 'file', size: 20 });
    const file = await client.download('lane-1', 'workspace/hello.txt', 'cluster');
    expect(await file.blob.text()).toBe('written on the host\n');
    const folder = await client.download('lane-1', 'workspace', 'cluster');
    expect(folder.name).toBe('workspace.tar');
    expect(folder.blob.size).toBeGreaterThan(1024);
    await expect(client.download('lane-1', '../../etc/passwd', 'cluster')).rejects.toMatchObject({ status: 422 });
    expect(await client.upload('lane-1', 'from-the-lane.txt', new TextEncoder().encode('uploaded'))).toBe('uploads/from-the-lane.txt');
    expect(readFileSync(join(dataDir, 'threads', 'thread-1', 'user-data', 'uploads', 'from-the-lane.txt'), 'utf8')).toBe('uploaded');
  });

  it('Open: a local address reaches the real container through the API server’s port-forward', async () => {
    const { url } = await deskClient().call('openSandbox', { params: { id: 'lane-1' } });
    const r = await fetch(`${url}/v1/sandbox`, { signal: AbortSignal.timeout(10_000) });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', hostname: 'sandbox-lane-1' });
  });

  it('resource use from the real kubelet’s summary, through the API server', async () => {
    const client = deskClient();
    const usage = await waitFor(
      'the kubelet has figures for the sandbox',
      async () => {
        const u = await client.call('sandboxUsage', { params: { id: 'lane-1' } });
        return u.available ? u : undefined;
      },
      90_000,
    );
    expect(usage.memoryBytes).toBeGreaterThan(100_000);
    expect(usage.cpuMillicores).toBeGreaterThanOrEqual(0);
    expect(usage.restarts).toBe(0);
  });

  it('egress allowlist: a real sandbox reaches the allowed address and not another, which an open sandbox reaches', async () => {
    // Two HTTP servers beside the node on kind's network; only A is on the allowlist.
    const targets: Record<'a' | 'b', string> = { a: '', b: '' };
    const names = { a: `${cluster}-egress-a`, b: `${cluster}-egress-b` };
    let allowlisted: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      for (const k of ['a', 'b'] as const) {
        const run = await docker(['run', '-d', '--rm', '--name', names[k], '--hostname', names[k], '--network', 'kind', lane.sandboxImage]);
        expect(run.exitCode, run.stderr).toBe(0);
        const ip = await docker(['inspect', '-f', '{{(index .NetworkSettings.Networks "kind").IPAddress}}', names[k]]);
        targets[k] = ip.stdout.trim();
        expect(targets[k]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }
      // The node enforces NetworkPolicy (kube-router's firewall, test/kind/files/default-cni.yaml).
      await waitFor('the NetworkPolicy enforcer ready on the node', async () => {
        const ds = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name: 'kube-router', namespace: 'kube-system' });
        return (ds.status?.numberReady ?? 0) >= 1 ? true : undefined;
      });
      const fetchFrom = (namespace: string, pod: string, ip: string) =>
        execInPod(kc, namespace, pod, ['sandbox-stub', 'fetch', '-t', '5', `http://${ip}:8080/v1/sandbox`]);
      // Open egress (lane-1, the default): B answers, so a refusal below is the policy's doing.
      expect(await fetchFrom('deer-flow-lane', 'sandbox-lane-1', targets.b)).toMatchObject({ exitCode: 0 });

      allowlisted = await startServe({
        ...env,
        ...provisionerEnv,
        KUBECONFIG_PATH: kubeconfig,
        K8S_NAMESPACE: 'deer-flow-egress',
        SANDBOX_IMAGE: lane.sandboxImage,
        SANDBOX_EGRESS: 'allowlist',
        SANDBOX_EGRESS_ALLOW: `${targets.a}/32:8080`,
      });
      const created = await fetch(`${allowlisted.apiUrl}/api/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sandbox_id: 'lane-egress', thread_id: 'thread-1' }),
      });
      expect(created.status).toBe(200);
      await waitFor('the allowlisted sandbox Running', async () => {
        const r = (await (await fetch(`${allowlisted?.apiUrl}/api/sandboxes/lane-egress`)).json()) as { status: string };
        return r.status === 'Running' ? r : undefined;
      });
      const allowed = await fetchFrom('deer-flow-egress', 'sandbox-lane-egress', targets.a);
      expect(allowed, allowed.stderr).toMatchObject({ exitCode: 0 });
      expect(JSON.parse(allowed.stdout)).toMatchObject({ status: 'ok', hostname: names.a });
      const refused = await fetchFrom('deer-flow-egress', 'sandbox-lane-egress', targets.b);
      expect(refused.exitCode, refused.stdout).toBe(1);
      expect(refused.stderr).toMatch(/Timeout|timeout|refused|unreachable/);
    } finally {
      await allowlisted?.stop();
      await docker(['rm', '-f', names.a, names.b]);
    }
  });

  it('deletes the sandbox through the API: its Pod and Service go', async () => {
    const r = await fetch(`${serve?.apiUrl}/api/sandboxes/lane-1`, { method: 'DELETE' });
    expect(r.status).toBe(200);
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor('Pod and Service gone', async () => {
      const [pods, services] = await Promise.all([
        core.listNamespacedPod({ namespace: 'deer-flow-lane', labelSelector: 'sandbox-id=lane-1' }),
        core.listNamespacedService({ namespace: 'deer-flow-lane', labelSelector: 'sandbox-id=lane-1' }),
      ]);
      return pods.items.length + services.items.length === 0 ? true : undefined;
    });
  });

  it('migrates a claim on kind’s own storage through the PVC backend’s helper Pod, checksums compared, and undoes it', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = 'deer-flow-lane';
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: 'deer-flow-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    // Legacy data written into the claim by a Pod, as an old DeerFlow would have.
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'legacy-writer' },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'w',
              image: lane.sandboxImage,
              command: [
                'sh',
                '-c',
                'mkdir -p /data/deer-flow/threads/thread-9/user-data/outputs && echo legacy > /data/deer-flow/threads/thread-9/user-data/outputs/report.txt',
              ],
              volumeMounts: [{ name: 'd', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'deer-flow-data' } }],
        },
      },
    });
    await waitFor('legacy writer done', async () => {
      const p = await core.readNamespacedPod({ name: 'legacy-writer', namespace: ns });
      if (p.status?.phase === 'Failed') throw new Error('the legacy writer Pod failed');
      return p.status?.phase === 'Succeeded' ? true : undefined;
    });
    await core.deleteNamespacedPod({ name: 'legacy-writer', namespace: ns });
    // local-path volumes are node-bound (ReadWriteOnce): wait for the writer to be gone.
    await waitFor('writer removed', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, fieldSelector: 'metadata.name=legacy-writer' });
      return pods.items.length === 0 ? true : undefined;
    });
    const pv = (await core.readNamespacedPersistentVolumeClaim({ name: 'deer-flow-data', namespace: ns })).spec?.volumeName;
    expect(pv, 'the claim is bound by kind’s local-path provisioner').toBeTruthy();

    const previousEnv = { ...env };
    env.MIGRATION_HELPER_IMAGE = lane.sandboxImage;
    const r = await cli(['migrate', '--pvc', 'deer-flow-data', '--namespace', ns, '--yes', '--verify', 'content']);
    Object.assign(env, previousEnv);
    delete env.MIGRATION_HELPER_IMAGE;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    // The helper Pod is gone and the file is at its per-user place.
    const left = await core
      .listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=migration-helper' })
      .catch(() => ({ items: [] }));
    expect(left.items).toEqual([]);
    const catInClaim = (name: string, path: string) =>
      execa(
        lane.kubectl,
        [
          '--kubeconfig',
          kubeconfig,
          '-n',
          ns,
          'run',
          name,
          '--rm',
          '-i',
          '--restart=Never',
          `--image=${lane.sandboxImage}`,
          '--overrides',
          JSON.stringify({
            spec: {
              containers: [
                {
                  name,
                  image: lane.sandboxImage,
                  command: ['cat', `/data/deer-flow/${path}`],
                  volumeMounts: [{ name: 'd', mountPath: '/data' }],
                },
              ],
              volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'deer-flow-data' } }],
            },
          }),
        ],
        { env, extendEnv: false, reject: false, timeout: 120_000 },
      );
    const check = await catInClaim('check', 'users/default/threads/thread-9/user-data/outputs/report.txt');
    expect(check.stdout, check.stderr).toContain('legacy');

    // And back: the undo runs its scripts in the same busybox helper (find, stat, mkdir, mv, sha256sum).
    env.MIGRATION_HELPER_IMAGE = lane.sandboxImage;
    const undo = await cli(['migrate', '--pvc', 'deer-flow-data', '--namespace', ns, '--undo', '--yes']);
    delete env.MIGRATION_HELPER_IMAGE;
    expect(undo.exitCode, undo.stdout + undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/put back 1, left where the migration put them 0/);
    const back = await catInClaim('check-back', 'threads/thread-9/user-data/outputs/report.txt');
    expect(back.stdout, back.stderr).toContain('legacy');
  });

  it('the exported container kubeconfig reaches the API server from a container on the default bridge, TLS verified', async () => {
    const out = join(work, 'container-kubeconfig');
    const r = await cli(['kubeconfig', '--for-containers', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = readFileSync(out, 'utf8');
    expect(doc).not.toContain('insecure-skip-tls-verify');
    const inContainer = await docker([
      'run',
      '--rm',
      '--add-host',
      'host.docker.internal:host-gateway',
      '-v',
      `${lane.kubectl}:/usr/local/bin/kubectl:ro`,
      '-v',
      `${out}:/kubeconfig:ro`,
      lane.sandboxImage,
      'kubectl',
      '--kubeconfig',
      '/kubeconfig',
      'get',
      'nodes',
      '-o',
      'name',
    ]);
    expect(inContainer.exitCode, inContainer.stderr).toBe(0);
    expect(inContainer.stdout.trim()).toBe(`node/${cluster}-control-plane`);
  });

  describe('inside the cluster: the image and the Helm chart', () => {
    const ns = 'deer-flow-incluster';
    const apiKey = 'lane-key-0123456789abcdef';
    const service = `http://sp.${ns}.svc:8002`;
    const kubectl = (args: string[]) =>
      execa(lane.kubectl, ['--kubeconfig', kubeconfig, '-n', ns, ...args], { env, extendEnv: false, reject: false, timeout: 180_000 });
    /**
     * An HTTP request from a Pod in the cluster: the sandbox image's client, run by exec in a
     * long-lived client Pod (exec keeps stdout, stderr and the exit code apart; `kubectl run
     * -i` of a short Pod loses output when the Pod ends before kubectl attaches).
     */
    const fromPod = async (fetchArgs: string[]) => {
      const r = await execInPod(kc, ns, 'client', ['sandbox-stub', 'fetch', ...fetchArgs], { timeoutMs: 60_000 });
      return { ok: r.exitCode === 0, out: r.stdout, err: r.stderr };
    };
    const headers = ['-H', `X-API-Key: ${apiKey}`, '-H', 'Content-Type: application/json'];

    it('loads the provisioner image and installs the chart; the Deployment becomes ready', async () => {
      const load = await cli(['cluster', 'load-image', lane.provisionerImage, '--kind', cluster]);
      expect(load.exitCode, load.stderr).toBe(0);
      const [repository, tag] = lane.provisionerImage.split(':') as [string, string];
      const install = await execa(
        lane.helm,
        [
          'install',
          'sp',
          'deploy/helm/sandbox-provisioner',
          '--kubeconfig',
          kubeconfig,
          '--namespace',
          ns,
          '--create-namespace',
          '--set',
          `image.repository=${repository}`,
          '--set',
          `image.tag=${tag}`,
          '--set',
          `apiKey.value=${apiKey}`,
          '--set',
          `sandbox.image=${lane.sandboxImage}`,
          // The hostPath layout of the lane's data folder (mounted in the node at the same path).
          '--set',
          `extraEnv.DEER_FLOW_HOST_BASE_DIR=${dataDir}`,
          '--set',
          `extraEnv.THREADS_HOST_PATH=${dataDir}/threads`,
          // A short grace, so the sweep (and its lease) runs every 5 s.
          '--set-string',
          'extraEnv.SANDBOX_ORPHAN_GRACE_SECONDS=10',
          '--wait',
          '--timeout',
          '3m',
        ],
        { env, extendEnv: false, reject: false },
      );
      expect(install.exitCode, install.stdout + install.stderr).toBe(0);
      // The client Pod the next steps send their requests from (any Pod of the namespace may connect).
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: 'client' }, spec: { containers: [{ name: 'client', image: lane.sandboxImage }] } },
      });
      await waitFor('client Pod Running', async () => {
        const p = await core.readNamespacedPod({ name: 'client', namespace: ns });
        return p.status?.phase === 'Running' ? true : undefined;
      });
    });

    it('creates, lists and deletes sandboxes through the in-cluster Service, from a Pod, with the chart’s RBAC only', async () => {
      const noKey = await fromPod([`${service}/api/sandboxes`]);
      expect(noKey.ok).toBe(false);
      expect(noKey.err).toContain('HTTP 401');
      const created = await fromPod([...headers, '-X', 'POST', '-d', '{"sandbox_id":"incluster-1"}', `${service}/api/sandboxes`]);
      expect(created.ok, created.out + created.err).toBe(true);
      expect(JSON.parse(created.out)).toMatchObject({
        sandbox_id: 'incluster-1',
        sandbox_url: `http://sandbox-incluster-1-svc.${ns}.svc.cluster.local:8080`,
      });
      const core = kc.makeApiClient(CoreV1Api);
      await waitFor('in-cluster sandbox Running', async () => {
        const p = await core.readNamespacedPod({ name: 'sandbox-incluster-1', namespace: ns });
        return p.status?.phase === 'Running' ? true : undefined;
      });
      // DeerFlow's Gateway, in the cluster, reaches the sandbox at that URL (CoreDNS, kube-proxy).
      const answer = await waitFor('sandbox answers in-cluster', async () => {
        const r = await fromPod([`http://sandbox-incluster-1-svc.${ns}.svc.cluster.local:8080/v1/sandbox`]);
        return r.ok ? r.out : undefined;
      });
      expect(JSON.parse(answer)).toMatchObject({ status: 'ok', hostname: 'sandbox-incluster-1' });
      const listed = await fromPod([...headers, `${service}/api/sandboxes`]);
      expect(listed.out).toContain('incluster-1');
      const deleted = await fromPod([...headers, '-X', 'DELETE', `${service}/api/sandboxes/incluster-1`]);
      expect(deleted.ok, deleted.out + deleted.err).toBe(true);
      // What the chart grants, as the API server sees it.
      const sa = `system:serviceaccount:${ns}:sp`;
      const can = async (verb: string, what: string, where = ns, ...more: string[]) =>
        (
          await execa(lane.kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, what, '-n', where, '--as', sa, ...more], {
            env,
            extendEnv: false,
            reject: false,
          })
        ).stdout.trim();
      expect(await can('create', 'pods')).toBe('yes');
      expect(await can('create', 'pods', ns, '--subresource=exec')).toBe('no');
      expect(await can('get', 'pods', ns, '--subresource=log')).toBe('no');
      expect(await can('list', 'secrets')).toBe('no');
      expect(await can('create', 'pods', 'default')).toBe('no');
      expect(await can('list', 'nodes')).toBe('no');
    });

    it('two replicas: concurrent creates of one id all answer the same sandbox, and one replica holds the sweep lease', async () => {
      const scaled = await kubectl(['scale', 'deployment', 'sp', '--replicas=2']);
      expect(scaled.exitCode, scaled.stderr).toBe(0);
      const rollout = await kubectl(['rollout', 'status', 'deployment/sp', '--timeout=120s']);
      expect(rollout.exitCode, rollout.stderr).toBe(0);
      const body = '{"sandbox_id":"shared-1"}';
      const n = 16;
      // n clients at once, through the Service (kube-proxy spreads them over both replicas).
      const script = `for i in $(seq ${n}); do (sandbox-stub fetch -H 'X-API-Key: ${apiKey}' -H 'Content-Type: application/json' -X POST -d '${body}' ${service}/api/sandboxes; echo " rc=$?") > /tmp/r$i 2>&1 & done; wait; cat /tmp/r*`;
      const started = Date.now();
      const r = await execInPod(kc, ns, 'client', ['sh', '-c', script], { timeoutMs: 120_000 });
      const elapsed = Date.now() - started;
      const answers = r.stdout.trim().split('\n').filter(Boolean);
      expect(answers, r.stdout + r.stderr).toHaveLength(n);
      for (const a of answers) {
        expect(a, r.stdout).toMatch(/ rc=0$/);
        expect(JSON.parse(a.replace(/ rc=0$/, ''))).toMatchObject({
          sandbox_id: 'shared-1',
          sandbox_url: `http://sandbox-shared-1-svc.${ns}.svc.cluster.local:8080`,
        });
      }
      process.stderr.write(`[lane] ${n} concurrent creates of one id through 2 replicas: ${elapsed} ms\n`);
      const core = kc.makeApiClient(CoreV1Api);
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'sandbox-id=shared-1' });
      expect(pods.items).toHaveLength(1);
      // The sweep lease: held by one of the two replicas (the sweep runs every 5 s here).
      const replicas = (
        await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=sandbox-provisioner' })
      ).items.map((p) => p.metadata?.name ?? '');
      expect(replicas).toHaveLength(2);
      const coordination = kc.makeApiClient(CoordinationV1Api);
      const holder = await waitFor(
        'sweep lease held',
        async () => {
          const lease = await coordination.readNamespacedLease({ name: 'sp-sweep', namespace: ns });
          return lease.spec?.holderIdentity || undefined;
        },
        60_000,
      );
      expect(
        replicas.some((name) => holder.startsWith(`${name}-`)),
        `${holder} is one of ${replicas.join(', ')}`,
      ).toBe(true);
      const deleted = await fromPod([...headers, '-X', 'DELETE', `${service}/api/sandboxes/shared-1`]);
      expect(deleted.ok, deleted.out + deleted.err).toBe(true);
    });

    it('a call the Role does not allow is refused by the API server and answered 502, saying so', async () => {
      // Take Services away from the Role: the create's Service call is refused (403).
      const patch = await kubectl([
        'patch',
        'role',
        'sp',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/rules/0/resources","value":["pods"]}]',
      ]);
      expect(patch.exitCode, patch.stderr).toBe(0);
      const refused = await fromPod([...headers, '-X', 'POST', '-d', '{"sandbox_id":"incluster-2"}', `${service}/api/sandboxes`]);
      expect(refused.ok).toBe(false);
      expect(`${refused.out}${refused.err}`).toContain('HTTP 502');
      expect(`${refused.out}${refused.err}`).toMatch(/not allowed to do this \(403\)/);
      expect(`${refused.out}${refused.err}`).toContain('services');
    });
  });

  it('deletes the cluster through the CLI', async () => {
    await serve?.stop();
    serve = undefined;
    const r = await cli(['cluster', 'delete', '--kind', '--name', cluster, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const left = await docker(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}']);
    expect(left.stdout.trim()).toBe('');
  });
});
