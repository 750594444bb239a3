// Sandbox NodePorts from SANDBOX_NODE_PORT_RANGE against the real API server: the lowest free
// ports are taken, a port held by a Service we don't own is skipped (the API server answers
// "already allocated"), and a full range is a clear 503 that leaves no Pod behind.
// The range lies in the API server's static band (30000-30085 of the default range), which
// its own random allocations avoid, so other tests' Services don't take these ports meanwhile.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { clusterInfo, createTestNamespace, testKubeConfig, uniqueName } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
let api: RunningProvisioner;
let blockerNs: { name: string; remove: () => Promise<void> };
const ns = uniqueName('ports');

const post = (id: string) =>
  fetch(`${api.url}/api/sandboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sandbox_id: id }),
  });

let first: number; // the range is first..first+3, four ports no Service of the cluster holds

/** Four consecutive free ports of the static band (earlier runs' namespaces may still be terminating). */
async function freeWindow(): Promise<number> {
  const held = new Set<number>();
  for (const s of (await core.listServiceForAllNamespaces()).items)
    for (const p of s.spec?.ports ?? []) if (p.nodePort) held.add(p.nodePort);
  for (let from = 30000; from + 3 <= 30085; from++) if ([0, 1, 2, 3].every((i) => !held.has(from + i))) return from;
  throw new Error('no four free NodePorts in 30000-30085 of the test cluster');
}

beforeAll(async () => {
  first = await freeWindow();
  blockerNs = await createTestNamespace(kc, 'ports-other');
  // Somebody else's Service holding the first port of the range.
  await core.createNamespacedService({
    namespace: blockerNs.name,
    body: { metadata: { name: 'other' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: first }], selector: { x: 'y' } } },
  });
  const env = {
    KUBECONFIG_PATH: clusterInfo().kubeconfig,
    K8S_NAMESPACE: ns,
    PROVISIONER_PORT: '0',
    SANDBOX_NODE_PORT_RANGE: `${first}-${first + 3}`,
  };
  api = await startProvisioner(env, () => {});
});

afterAll(async () => {
  await api?.close();
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  await blockerNs?.remove();
});

describe('NodePorts from SANDBOX_NODE_PORT_RANGE', () => {
  it('gives each sandbox a distinct port of the range, skipping one held elsewhere', async () => {
    const answers = await Promise.all(['p1', 'p2', 'p3'].map(post));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const urls = await Promise.all(answers.map(async (r) => ((await r.json()) as { sandbox_url: string }).sandbox_url));
    const ports = urls.map((u) => Number(new URL(u).port)).sort();
    expect(ports).toEqual([first + 1, first + 2, first + 3]);
    const svc = await core.readNamespacedService({ namespace: ns, name: 'sandbox-p1-svc' });
    expect(ports).toContain(svc.spec?.ports?.[0]?.nodePort);
  });

  it('answers a full range with 503 naming the variable, and leaves no Pod behind', async () => {
    const r = await post('p4');
    expect(r.status).toBe(503);
    const body = (await r.json()) as { detail: string };
    expect(body.detail).toContain(`SANDBOX_NODE_PORT_RANGE ${first}-${first + 3}`);
    await expect(core.readNamespacedPod({ namespace: ns, name: 'sandbox-p4' })).rejects.toMatchObject({ code: 404 });
  });

  it('reuses a port once its sandbox is deleted', async () => {
    const freed = (await core.readNamespacedService({ namespace: ns, name: 'sandbox-p2-svc' })).spec?.ports?.[0]?.nodePort;
    expect((await fetch(`${api.url}/api/sandboxes/p2`, { method: 'DELETE' })).status).toBe(200);
    const svcGone = async () =>
      core.readNamespacedService({ namespace: ns, name: 'sandbox-p2-svc' }).then(
        () => false,
        () => true,
      );
    for (let i = 0; i < 50 && !(await svcGone()); i++) await new Promise((res) => setTimeout(res, 100));
    const r = await post('p5');
    expect(r.status).toBe(200);
    const { sandbox_url } = (await r.json()) as { sandbox_url: string };
    expect(Number(new URL(sandbox_url).port)).toBe(freed);
  });
});
