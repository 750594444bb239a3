// The sandbox's Service is owned by its Pod (docs/provisioner.md, "Speed"): one DELETE removes
// both (the real garbage collector of the test control plane's controller manager removes the
// Service), a Pod deleted by hand takes its Service with it, a create right after a delete
// replaces the earlier Pod's Service instead of answering with it, and a Service without an
// owner (made by upstream) is still deleted by name.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildPod, buildService, ownerPodUid } from '../../app/sandbox/specs.js';
import { testKubeConfig, waitUntil, watchedProvisionerForFile } from './helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const t = watchedProvisionerForFile('owned');

const readService = (id: string) =>
  core.readNamespacedService({ namespace: t.namespace, name: `sandbox-${id}-svc` }).catch(() => undefined);
const readPod = (id: string) => core.readNamespacedPod({ namespace: t.namespace, name: `sandbox-${id}` }).catch(() => undefined);
/** Our sandbox once the watch holds both halves (the delete's one-DELETE path needs them there). */
const createdAndWatched = async (id: string) => {
  const sandbox = await t.api.provisioner.create({ sandbox_id: id });
  await waitUntil(`${id} in the watch`, async () => {
    const o = t.api.cache.objectsOf(id);
    return Boolean(o.pod?.metadata?.uid && ownerPodUid(o.service) === o.pod.metadata.uid);
  });
  return sandbox;
};

describe('the Service owned by its Pod', () => {
  it('is made owned by the Pod the create made', async () => {
    await t.api.provisioner.create({ sandbox_id: 'own-1' });
    const [pod, service] = await Promise.all([readPod('own-1'), readService('own-1')]);
    expect(pod?.metadata?.uid).toBeTruthy();
    expect(service?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'v1', kind: 'Pod', name: 'sandbox-own-1', uid: pod?.metadata?.uid }),
    ]);
  });

  it('goes with one DELETE of the Pod: answered at once as gone, removed by the garbage collector', async () => {
    await createdAndWatched('own-2');
    const before = t.api.provisioner.apiCalls;
    await t.api.provisioner.delete('own-2');
    expect(t.api.provisioner.apiCalls - before).toBe(1);
    await expect(t.api.provisioner.get('own-2')).rejects.toThrow(/not found/);
    expect((await t.api.provisioner.list()).map((s) => s.sandbox_id)).not.toContain('own-2');
    await waitUntil('the garbage collector removes the Service', async () => !(await readService('own-2')), 30_000);
    await waitUntil('the Pod gone', async () => !(await readPod('own-2')), 30_000);
  });

  it('goes when someone deletes the Pod by hand (no Service left pointing at nothing)', async () => {
    await t.api.provisioner.create({ sandbox_id: 'own-3' });
    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'sandbox-own-3' });
    await waitUntil('the garbage collector removes the Service', async () => !(await readService('own-3')), 30_000);
  });

  it('a create right after a delete replaces the earlier Pod’s Service, and the new one stays', async () => {
    const first = await createdAndWatched('own-4');
    const oldService = await readService('own-4');
    await t.api.provisioner.delete('own-4');
    const again = await t.api.provisioner.create({ sandbox_id: 'own-4' });
    const [pod, service] = await Promise.all([readPod('own-4'), readService('own-4')]);
    expect(pod?.metadata?.deletionTimestamp).toBeUndefined();
    expect(service?.metadata?.uid).not.toBe(oldService?.metadata?.uid);
    expect(ownerPodUid(service)).toBe(pod?.metadata?.uid);
    expect(again.sandbox_url).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    expect(first.sandbox_id).toBe('own-4');
    // The collector has had its turn at the old owner's dependents: the new Service is not one.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await readService('own-4'))?.metadata?.uid).toBe(service?.metadata?.uid);
    await expect(t.api.provisioner.get('own-4')).resolves.toMatchObject({ sandbox_id: 'own-4' });
  });

  it('a Service without an owner (made by upstream) is deleted by name with its Pod', async () => {
    await core.createNamespacedPod({
      namespace: t.namespace,
      body: buildPod(t.config, { sandboxId: 'up-1', threadId: 'up-1', userId: 'default' }),
    });
    await core.createNamespacedService({ namespace: t.namespace, body: buildService(t.config, 'up-1') });
    await waitUntil('in the watch', async () => Boolean(t.api.cache.objectsOf('up-1').service));
    const before = t.api.provisioner.apiCalls;
    await t.api.provisioner.delete('up-1');
    expect(t.api.provisioner.apiCalls - before).toBe(2);
    expect(await readService('up-1')).toBeUndefined();
  });

  it('a Pod replaced by another actor just before the delete (the watch may be behind): the Pod there now goes, and its Service', async () => {
    await createdAndWatched('own-5');
    const cached = t.api.cache.objectsOf('own-5');
    // Another actor replaces the Pod (and its Service) faster than our watch can tell.
    await core.deleteNamespacedPod({ namespace: t.namespace, name: 'sandbox-own-5', gracePeriodSeconds: 0 });
    await waitUntil('old Pod gone', async () => !(await readPod('own-5')));
    const replacement = await core.createNamespacedPod({
      namespace: t.namespace,
      body: buildPod(t.config, { sandboxId: 'own-5', threadId: 'own-5', userId: 'default' }),
    });
    expect(replacement.metadata?.uid).not.toBe(cached.pod?.metadata?.uid);
    await t.api.provisioner.delete('own-5');
    await waitUntil('the replacement deleted', async () => {
      const p = await readPod('own-5');
      return !p || p.metadata?.uid !== replacement.metadata?.uid || Boolean(p.metadata?.deletionTimestamp);
    });
    await waitUntil('no Service', async () => !(await readService('own-5')), 30_000);
  });
});
