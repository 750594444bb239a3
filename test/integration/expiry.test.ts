// Idle expiry and maximum age against the real API server (issue #14): a sandbox left alone
// goes on time (Pod and Service, 404 after, counted in /metrics, the reason logged), one in use
// never does, the last use lives on the Pod (a restarted provisioner keeps it), and a maximum
// age removes even a sandbox in use.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { LAST_USED_ANNOTATION } from '../../app/sandbox/expiry.js';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { clusterInfo, testKubeConfig, uniqueName, waitUntil } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const running: RunningProvisioner[] = [];
const namespaces: string[] = [];

async function start(env: Record<string, string>, namespace: string, log: string[] = []) {
  if (!namespaces.includes(namespace)) namespaces.push(namespace);
  // The sweep runs every half orphan-grace period: every second here.
  const startEnv = {
    KUBECONFIG_PATH: clusterInfo().kubeconfig,
    K8S_NAMESPACE: namespace,
    PROVISIONER_PORT: '0',
    SANDBOX_ORPHAN_GRACE_SECONDS: '2',
    ...env,
  };
  const api = await startProvisioner(startEnv, (l) => log.push(l));
  running.push(api);
  return api;
}
const post = (url: string, id: string) =>
  fetch(`${url}/api/sandboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sandbox_id: id }),
  });
const objects = async (ns: string, id: string) => ({
  pods: (await core.listNamespacedPod({ namespace: ns, labelSelector: `sandbox-id=${id}` })).items,
  services: (await core.listNamespacedService({ namespace: ns, labelSelector: `sandbox-id=${id}` })).items,
});

afterAll(async () => {
  for (const r of running) await r.close().catch(() => undefined);
  for (const ns of namespaces) await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('SANDBOX_IDLE_SECONDS', () => {
  it('removes the sandbox left alone, keeps the one in use, and keeps the last use on the Pod', async () => {
    const ns = uniqueName('idle');
    const log: string[] = [];
    const api = await start({ SANDBOX_IDLE_SECONDS: '3' }, ns, log);
    expect((await post(api.url, 'left-alone')).status).toBe(200);
    expect((await post(api.url, 'in-use')).status).toBe(200);
    // DeerFlow asks for the one in use every half second, as its Gateway does on each acquire.
    const deadline = Date.now() + 7_000;
    while (Date.now() < deadline) {
      expect((await fetch(`${api.url}/api/sandboxes/in-use`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await waitUntil('left-alone removed', async () => {
      const o = await objects(ns, 'left-alone');
      return o.pods.length === 0 && o.services.length === 0;
    });
    expect((await fetch(`${api.url}/api/sandboxes/left-alone`)).status).toBe(404);
    expect(log.join('\n')).toContain('expired sandbox left-alone: not used for 3 s (SANDBOX_IDLE_SECONDS=3)');
    const inUse = await objects(ns, 'in-use');
    expect(inUse.pods).toHaveLength(1);
    expect(inUse.services).toHaveLength(1);
    const used = Date.parse(inUse.pods[0]?.metadata?.annotations?.[LAST_USED_ANNOTATION] ?? '');
    expect(Date.now() - used).toBeLessThan(3_000);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/sandbox_provisioner_expired_total\{reason="idle"\} 1\b/);
    expect(metrics).toMatch(/sandbox_provisioner_expired_total\{reason="ttl"\} 0\b/);

    // A restarted provisioner (nothing in memory) goes by the use recorded on the Pod: created
    // over 7 s ago, last used under a second ago, with 5 s of idle time it is not removed by
    // the sweeps of the next 2 s (by its creation alone it would be at once).
    await api.close();
    await start({ SANDBOX_IDLE_SECONDS: '5' }, ns);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await objects(ns, 'in-use')).pods.filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(1);
  });

  it('is off by default: nothing is written to the Pods and nothing expires', async () => {
    const ns = uniqueName('noidle');
    const api = await start({}, ns);
    expect((await post(api.url, 'plain')).status).toBe(200);
    expect((await fetch(`${api.url}/api/sandboxes/plain`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const o = await objects(ns, 'plain');
    expect(o.pods[0]?.metadata?.annotations?.[LAST_USED_ANNOTATION]).toBeUndefined();
  });
});

describe('SANDBOX_TTL_SECONDS', () => {
  it('removes a sandbox at its maximum age even while it is used', async () => {
    const ns = uniqueName('ttl');
    const log: string[] = [];
    const api = await start({ SANDBOX_TTL_SECONDS: '3', SANDBOX_IDLE_SECONDS: '3600' }, ns, log);
    expect((await post(api.url, 'short-lived')).status).toBe(200);
    await waitUntil(
      'short-lived removed at its maximum age',
      async () => {
        await fetch(`${api.url}/api/sandboxes/short-lived`); // in use all along
        return (await objects(ns, 'short-lived')).pods.length === 0;
      },
      15_000,
    );
    expect(log.join('\n')).toContain('expired sandbox short-lived: older than 3 s (SANDBOX_TTL_SECONDS=3)');
    expect(await (await fetch(`${api.url}/metrics`)).text()).toMatch(/sandbox_provisioner_expired_total\{reason="ttl"\} 1\b/);
  });
});
