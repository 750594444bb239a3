// Lists from the watch: no API request per list once synced, our own writes visible at once,
// other writers' changes visible within moments, and change events for the live UI.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildPod, buildService } from '../../app/sandbox/specs.js';
import { testKubeConfig, waitUntil, watchedProvisionerForFile } from './helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const t = watchedProvisionerForFile('watch');

const ids = async () => (await t.api.provisioner.list()).map((s) => s.sandbox_id);

describe('watch-backed list', () => {
  it('lists without API requests, and shows our own create at once', async () => {
    await t.api.provisioner.create({ sandbox_id: 'mine' });
    const before = t.api.provisioner.apiCalls;
    expect(await ids()).toContain('mine');
    expect(t.api.provisioner.apiCalls).toBe(before);
  });

  it("gives one sandbox's objects alone exactly as the whole view has them", async () => {
    const all = t.api.cache.objects();
    const one = t.api.cache.objectsOf('mine');
    expect(one.pod?.metadata?.uid).toBe(all.pods.get('mine')?.metadata?.uid);
    expect(one.service?.metadata?.uid).toBe(all.services.get('mine')?.metadata?.uid);
    expect(one.pod).toBeDefined();
    expect(t.api.cache.objectsOf('nothing-here')).toEqual({ pod: undefined, service: undefined });
  });

  it('hides our own delete at once', async () => {
    await t.api.provisioner.delete('mine');
    expect(await ids()).not.toContain('mine');
    expect(t.api.cache.objectsOf('mine')).toEqual({ pod: undefined, service: undefined });
  });

  it("sees other writers' objects come and go, and emits change events", async () => {
    const changes: string[] = [];
    t.api.cache.events.on('change', (id: string) => changes.push(id));
    await core.createNamespacedPod({
      namespace: t.namespace,
      body: buildPod(t.config, { sandboxId: 'theirs', threadId: 'theirs', userId: 'default' }),
    });
    await core.createNamespacedService({ namespace: t.namespace, body: buildService(t.config, 'theirs') });
    await waitUntil('listed', async () => (await ids()).includes('theirs'), 10_000);
    expect(changes).toContain('theirs');
    await core.deleteNamespacedService({ namespace: t.namespace, name: 'sandbox-theirs-svc' });
    await waitUntil('gone from the list', async () => !(await ids()).includes('theirs'), 10_000);
  });

  it('reports status changes (Pending → Running) through the watch', async () => {
    await t.api.provisioner.create({ sandbox_id: 'phase' });
    const s = await waitUntil('Running in the list', async () =>
      (await t.api.provisioner.list()).find((x) => x.sandbox_id === 'phase' && x.status === 'Running'),
    );
    expect(s.ready).toBe(true);
  });

  it('sees someone else delete a sandbox we created a moment ago (our overlay does not hide it)', async () => {
    await t.api.provisioner.create({ sandbox_id: 'brief' });
    await waitUntil('the watch has our Pod', async () => (await ids()).includes('brief'));
    await core.deleteNamespacedService({ namespace: t.namespace, name: 'sandbox-brief-svc' });
    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'sandbox-brief', gracePeriodSeconds: 0 });
    // Well within the 30 s an overlay entry lives.
    await waitUntil('gone from the list', async () => !(await ids()).includes('brief'), 5_000);
  });
});
