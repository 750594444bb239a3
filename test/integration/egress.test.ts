// SANDBOX_EGRESS against the real API server: the NetworkPolicy lands in the namespace exactly
// as configured, follows the setting when the provisioner restarts with another one, goes with
// "open", and a policy of that name that is not ours is left alone. (Enforcement needs a
// policy-enforcing CNI, which neither the control plane here nor the real-kind lane's node has.)
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { EGRESS_POLICY_NAME } from '../../app/sandbox/egress.js';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { clusterInfo, testKubeConfig, uniqueName } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const networking = kc.makeApiClient(NetworkingV1Api);
const namespaces: string[] = [];

async function startWith(namespace: string, env: Record<string, string>, log: string[] = []): Promise<RunningProvisioner> {
  if (!namespaces.includes(namespace)) namespaces.push(namespace);
  const startEnv = { KUBECONFIG_PATH: clusterInfo().kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0', ...env };
  return startProvisioner(startEnv, (l) => log.push(l));
}
const policy = (namespace: string) =>
  networking.readNamespacedNetworkPolicy({ name: EGRESS_POLICY_NAME, namespace }).catch(() => undefined);

afterAll(async () => {
  for (const ns of namespaces) await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('SANDBOX_EGRESS', () => {
  it('isolated, then allowlist, then open: the policy follows each start', async () => {
    const ns = uniqueName('egress');
    let api = await startWith(ns, { SANDBOX_EGRESS: 'isolated' });
    const isolated = await policy(ns);
    expect(isolated?.spec).toMatchObject({
      podSelector: { matchLabels: { app: 'deer-flow-sandbox' } },
      policyTypes: ['Egress'],
      egress: [
        {
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    await api.close();

    api = await startWith(ns, { SANDBOX_EGRESS: 'allowlist', SANDBOX_EGRESS_ALLOW: '10.96.0.0/12,203.0.113.7/32:443' });
    const allow = await policy(ns);
    expect(allow?.spec?.egress?.slice(1)).toEqual([
      { to: [{ ipBlock: { cidr: '10.96.0.0/12' } }] },
      { to: [{ ipBlock: { cidr: '203.0.113.7/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
    // A sandbox created now is created under it (the policy applies to every sandbox Pod).
    const r = await fetch(`${api.url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandbox_id: 'fenced' }),
    });
    expect(r.status).toBe(200);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'sandbox-fenced' });
    expect(pod.metadata?.labels?.app).toBe('deer-flow-sandbox');
    await api.close();

    const log: string[] = [];
    api = await startWith(ns, {}, log);
    expect(await policy(ns)).toBeUndefined();
    expect(log.join('\n')).toContain(`egress open: removed NetworkPolicy ${EGRESS_POLICY_NAME}`);
    await api.close();
  });

  it('leaves a policy of that name that is not ours, says so, and creates no sandbox it cannot fence', async () => {
    const ns = uniqueName('egress-theirs');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    namespaces.push(ns);
    await networking.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: EGRESS_POLICY_NAME }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    });
    const log: string[] = [];
    const api = await startWith(ns, { SANDBOX_EGRESS: 'isolated' }, log);
    expect((await policy(ns))?.spec?.policyTypes).toEqual(['Ingress']);
    expect(log.join('\n')).toMatch(/NetworkPolicy deer-flow-sandbox-egress in namespace .* exists and is not ours .* left as it is/);
    // Asked to isolate and unable to: no sandbox is created, and the answer says what to do.
    const r = await fetch(`${api.url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandbox_id: 'unfenced' }),
    });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { detail: string }).detail).toMatch(
      /cannot be applied, so no sandbox is created. Rename or delete that policy/,
    );
    expect((await core.listNamespacedPod({ namespace: ns })).items).toEqual([]);
    await api.close();
  });
});
