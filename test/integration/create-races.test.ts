// Creates racing another actor's deletes, at exact moments rather than by timing: the real
// API server, with the other actor's step run from inside our client's next call (a hook
// around the real CoreV1Api, not a fake of it). A finalizer holds a deleted Pod "terminating"
// until the hook lets it go.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { SandboxProvisioner } from '../../app/sandbox/provisioner.js';
import { buildPod } from '../../app/sandbox/specs.js';
import { createTestNamespace, testKubeConfig, waitUntil } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const HOLD = 'spd.test/hold';
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'races');
});
afterAll(async () => {
  for (const p of (await core.listNamespacedPod({ namespace: ns.name })).items)
    if (p.metadata?.finalizers?.length)
      await core
        .patchNamespacedPod({ name: p.metadata.name as string, namespace: ns.name, body: [{ op: 'remove', path: '/metadata/finalizers' }] })
        .catch(() => undefined);
  await ns.remove();
});

/** A sandbox Pod made by "someone else", deleted, and held terminating by a finalizer. */
async function terminatingPod(config: ReturnType<typeof loadConfig>, id: string): Promise<V1Pod> {
  const body = buildPod(config, { sandboxId: id, threadId: id, userId: 'default' });
  body.metadata = { ...body.metadata, finalizers: [HOLD] };
  const pod = await core.createNamespacedPod({ namespace: ns.name, body });
  await core.deleteNamespacedPod({ name: pod.metadata?.name as string, namespace: ns.name });
  return pod;
}

/** Lets the held Pod go and waits until the API server no longer has it. */
async function release(name: string): Promise<void> {
  await core.patchNamespacedPod({ name, namespace: ns.name, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  await waitUntil(`${name} gone`, async () => {
    try {
      await core.readNamespacedPod({ name, namespace: ns.name });
      return false;
    } catch {
      return true;
    }
  });
}

describe('create while an earlier Pod of the id is terminating', () => {
  it('the Pod vanishes between our create (409) and our read: a new one is created, not a sandbox without Pod', async () => {
    const config = loadConfig({ K8S_NAMESPACE: ns.name });
    const old = await terminatingPod(config, 'vanish');
    // The other actor's step happens at the start of our first read of the Pod.
    let released = false;
    const hooked = new Proxy(core, {
      get(target, prop, receiver) {
        if (prop === 'readNamespacedPod')
          return async (args: { name: string; namespace: string }) => {
            if (!released) {
              released = true;
              await release(args.name);
            }
            return target.readNamespacedPod(args);
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    const provisioner = new SandboxProvisioner(hooked, config, { server: 'test' });
    const sandbox = await provisioner.create({ sandbox_id: 'vanish' });
    expect(released).toBe(true);
    expect(sandbox.status).not.toBe('NotFound');
    const now = await core.readNamespacedPod({ name: 'sandbox-vanish', namespace: ns.name });
    expect(now.metadata?.uid).not.toBe(old.metadata?.uid);
    expect(now.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('a Pod still terminating is waited for, then replaced', async () => {
    const config = loadConfig({ K8S_NAMESPACE: ns.name });
    const old = await terminatingPod(config, 'held');
    const provisioner = new SandboxProvisioner(core, config, { server: 'test' });
    const creating = provisioner.create({ sandbox_id: 'held' });
    await new Promise((r) => setTimeout(r, 1000)); // still waiting: the finalizer holds the old Pod
    await release('sandbox-held');
    await creating;
    const now = await core.readNamespacedPod({ name: 'sandbox-held', namespace: ns.name });
    expect(now.metadata?.uid).not.toBe(old.metadata?.uid);
    expect(now.metadata?.deletionTimestamp).toBeUndefined();
  });
});
