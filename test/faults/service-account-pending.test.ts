// Faults: a fresh namespace whose `default` ServiceAccount does not exist yet (the controller
// manager is down, as it is for a while after an etcd outage costs it its leadership). The API
// server refuses Pods there with 403; the first create waits for the account instead of failing.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { startComponent, stopComponent } from '../cluster/control-plane.js';
import { clusterInfo, testKubeConfig, uniqueName } from '../integration/helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const namespace = uniqueName('nosa');
let api: RunningProvisioner | undefined;

afterAll(async () => {
  await startComponent('kube-controller-manager');
  await api?.close();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('the first sandbox of a brand-new namespace', () => {
  it('waits for the default ServiceAccount, then is created', async () => {
    await stopComponent('kube-controller-manager');
    const lines: string[] = [];
    api = await startProvisioner({ KUBECONFIG_PATH: clusterInfo().kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0' }, (l) =>
      lines.push(l),
    );
    const pending = fetch(`${api.url}/api/sandboxes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sandbox_id: 'first' }),
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await core.listNamespacedServiceAccount({ namespace })).items).toEqual([]); // still none: the create is waiting
    await startComponent('kube-controller-manager');
    const r = await pending;
    expect(r.status).toBe(200);
    expect(((await r.json()) as { sandbox_id: string }).sandbox_id).toBe('first');
    // The waiting is not logged as an error once per retry.
    expect(lines.filter((l) => l.includes('service account')).length).toBe(0);
  });
});
