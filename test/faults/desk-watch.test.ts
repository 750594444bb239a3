// Faults: the desk's live view across an API server outage. The UI is told the watch is
// lost, and when the server is back, the watch resumes and the UI's view (its full reload
// plus the events that follow, applied the way the renderer's store applies them) ends equal
// to what is really in the cluster: changes made behind its back meanwhile are neither lost
// nor duplicated.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskEvent } from '../../app/desk/contract.js';
import { buildPod, buildService } from '../../app/sandbox/specs.js';
import type { DeskClient } from '../../renderer/src/api/client.js';
import { useSandboxes } from '../../renderer/src/state/sandboxes.js';
import { startComponent, stopComponent } from '../cluster/control-plane.js';
import { startDesk, testKubeConfig, uniqueName, waitUntil } from '../integration/helpers.js';

const coreApi = testKubeConfig().makeApiClient(CoreV1Api);
const namespace = uniqueName('deskfault');
let desk: Awaited<ReturnType<typeof startDesk>>;
let client: DeskClient;
const watchStates: boolean[] = [];
let unsubscribe: () => void;

/** What the renderer does: a full reload on (re)connect and when the watch is back, events applied in between. */
async function reload() {
  const { sandboxes } = await client.call('listSandboxes');
  useSandboxes.getState().replaceAll(sandboxes);
}

beforeAll(async () => {
  desk = await startDesk({ K8S_NAMESPACE: namespace, SANDBOX_ORPHAN_GRACE_SECONDS: '600' });
  client = desk.client;
  await new Promise<void>((resolve) => {
    unsubscribe = client.subscribe(
      (e: DeskEvent) => {
        if (e.type === 'sandbox') useSandboxes.getState().applyChanges([{ id: e.id, sandbox: e.sandbox }]);
        if (e.type === 'watch') {
          watchStates.push(e.watching);
          if (e.watching) void reload();
        }
      },
      (s) => {
        if (s === 'open') void reload().then(resolve);
      },
    );
  });
});

afterAll(async () => {
  await startComponent('kube-apiserver');
  unsubscribe?.();
  await desk?.close();
  await coreApi.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('desk live view across an API server outage', () => {
  it('reports the lost watch, resumes, and ends equal to the cluster', async () => {
    for (const id of ['keep', 'gone']) await client.call('createSandbox', { body: { sandbox_id: id } });
    await waitUntil('both rows', async () => useSandboxes.getState().byId.size === 2);

    await stopComponent('kube-apiserver');
    await waitUntil('the watch reported lost', async () => watchStates.includes(false), 60_000);
    await startComponent('kube-apiserver');

    // Behind the desk's back, right after the restart: one sandbox removed, one added.
    const config = desk.core.settings.config();
    await waitUntil('API server back', async () => (await coreApi.readNamespace({ name: namespace })).metadata?.name);
    await coreApi.deleteNamespacedPod({ namespace, name: 'sandbox-gone', gracePeriodSeconds: 0 });
    await coreApi.deleteNamespacedService({ namespace, name: 'sandbox-gone-svc' });
    await coreApi.createNamespacedPod({ namespace, body: buildPod(config, { sandboxId: 'new', threadId: 'new', userId: 'default' }) });
    await coreApi.createNamespacedService({ namespace, body: buildService(config, 'new') });

    await waitUntil('the watch back', async () => watchStates.at(-1) === true, 60_000);
    await waitUntil(
      'the view equal to the cluster',
      async () => {
        const ids = [...useSandboxes.getState().byId.keys()].sort().join(',');
        return ids === 'keep,new';
      },
      30_000,
    );
    // Stable: nothing stale comes back afterwards.
    await new Promise((r) => setTimeout(r, 1500));
    expect([...useSandboxes.getState().byId.keys()].sort()).toEqual(['keep', 'new']);
    const truth = (await coreApi.listNamespacedPod({ namespace, labelSelector: 'app=deer-flow-sandbox' })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.labels?.['sandbox-id'])
      .sort();
    expect(truth).toEqual(['keep', 'new']);
  });
});
