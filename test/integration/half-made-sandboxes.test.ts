// Half-made sandboxes on the real API server: a Service whose Pod is gone is no sandbox (404,
// never listed), the sweep removes it after the grace period and a create repairs it; a
// Service POST that our side gave up on but the API server carried out is read back, not
// rolled back; sweeps never overlap. The other actor's steps run from inside our client's
// calls (a hook around the real CoreV1Api, not a fake of it).
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { SandboxProvisioner } from '../../app/sandbox/provisioner.js';
import { buildPod, buildService } from '../../app/sandbox/specs.js';
import { createTestNamespace, testKubeConfig, waitUntil } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'halves');
});
afterAll(async () => {
  await ns.remove();
});

const configOf = () => loadConfig({ K8S_NAMESPACE: ns.name, SANDBOX_ORPHAN_GRACE_SECONDS: '30' });

/** A client whose calls named in `hooks` run the hook instead (which may call the real one). */
function hooked(hooks: Partial<Record<keyof CoreV1Api, (real: CoreV1Api, args: never) => Promise<unknown>>>): CoreV1Api {
  return new Proxy(core, {
    get(target, prop, receiver) {
      const hook = hooks[prop as keyof CoreV1Api];
      if (hook) return (args: never) => hook(target, args);
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch {
    return false;
  }
}
const podExists = (id: string) => exists(() => core.readNamespacedPod({ name: `sandbox-${id}`, namespace: ns.name }));
const serviceExists = (id: string) => exists(() => core.readNamespacedService({ name: `sandbox-${id}-svc`, namespace: ns.name }));

describe('a Service without its Pod', () => {
  it('is not a sandbox: get answers 404 and the list leaves it out (the UI still sees it)', async () => {
    const config = configOf();
    await core.createNamespacedService({ namespace: ns.name, body: buildService(config, 'lonely') });
    const provisioner = new SandboxProvisioner(core, config, { server: 'test' });
    await expect(provisioner.get('lonely')).rejects.toThrow("Sandbox 'lonely' not found");
    expect((await provisioner.list()).map((s) => s.sandbox_id)).not.toContain('lonely');
    const incomplete = (await provisioner.list({ includeIncomplete: true })).find((s) => s.sandbox_id === 'lonely');
    expect(incomplete?.status).toBe('NotFound');
  });

  it('is removed by the sweep once past the grace period, not before', async () => {
    const config = configOf();
    await core.createNamespacedService({ namespace: ns.name, body: buildService(config, 'stray') });
    const provisioner = new SandboxProvisioner(core, config, { server: 'test' });
    const requests: string[] = [];
    provisioner.requestObservers.add((what) => requests.push(what));
    expect(await provisioner.sweepOrphans(Date.now())).not.toContain('stray');
    // Background work is named as such in the request metrics (no API request waited for it).
    expect(requests.sort()).toEqual(['list Pods (orphan sweep)', 'list Services (orphan sweep)']);
    expect(await serviceExists('stray')).toBe(true);
    expect(await provisioner.sweepOrphans(Date.now() + 60_000)).toContain('stray');
    expect(await serviceExists('stray')).toBe(false);
  });

  it('is repaired by a create of the same id: the Pod is made, the Service kept', async () => {
    const config = configOf();
    const svc = await core.createNamespacedService({ namespace: ns.name, body: buildService(config, 'mend') });
    const provisioner = new SandboxProvisioner(core, config, { server: 'test' });
    const sandbox = await provisioner.create({ sandbox_id: 'mend' });
    expect(sandbox.sandbox_url).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    expect(await podExists('mend')).toBe(true);
    const now = await core.readNamespacedService({ name: 'sandbox-mend-svc', namespace: ns.name });
    expect(now.metadata?.uid).toBe(svc.metadata?.uid);
    await expect(provisioner.get('mend')).resolves.toMatchObject({ sandbox_id: 'mend' });
  });

  it('a delete racing a create leaves nothing once the sweep has run', async () => {
    const config = configOf();
    const provisioner = new SandboxProvisioner(core, config, { server: 'test' });
    // The delete lands once our Pod exists and before our Service: the very order that left
    // Services alone (our Pod and Service POSTs run side by side, so the hook waits for the Pod).
    let deleted = false;
    const racing = new SandboxProvisioner(
      hooked({
        createNamespacedService: async (real, args) => {
          if (!deleted) {
            deleted = true;
            await waitUntil('our Pod to exist', () => podExists('race'));
            await provisioner.delete('race');
          }
          return real.createNamespacedService(args);
        },
      }),
      config,
      { server: 'test' },
    );
    await racing.create({ sandbox_id: 'race' }).catch(() => undefined);
    expect(deleted).toBe(true);
    await waitUntil('the deleted Pod to be gone', async () => !(await podExists('race')));
    await racing.sweepOrphans(Date.now() + 60_000);
    expect((await racing.list()).map((s) => s.sandbox_id)).not.toContain('race');
    expect(await serviceExists('race')).toBe(false);
  });
});

describe('a Service POST that timed out on our side', () => {
  it('is read back: the API server made it, so the sandbox stands (no rollback, no 503)', async () => {
    const config = configOf();
    const slow = hooked({
      // The API server carries the request out; its answer comes after our bound.
      createNamespacedService: async (real, args) => {
        const made = await real.createNamespacedService(args);
        await new Promise((r) => setTimeout(r, 1500));
        return made;
      },
    });
    const provisioner = new SandboxProvisioner(slow, config, { server: 'test', requestTimeoutMs: 1000 });
    const sandbox = await provisioner.create({ sandbox_id: 'late' });
    expect(sandbox.sandbox_url).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    expect(await podExists('late')).toBe(true);
    expect(await serviceExists('late')).toBe(true);
  });

  it('is rolled back when the read shows it was never made', async () => {
    const config = configOf();
    const lost = hooked({
      createNamespacedService: async () => {
        await new Promise((r) => setTimeout(r, 1500)); // never reaches the API server
        throw new Error('socket hang up');
      },
    });
    const provisioner = new SandboxProvisioner(lost, config, { server: 'test', requestTimeoutMs: 1000 });
    await expect(provisioner.create({ sandbox_id: 'lost' })).rejects.toThrow(/did not answer create Service/);
    expect(await serviceExists('lost')).toBe(false);
    const pod = await core.readNamespacedPod({ name: 'sandbox-lost', namespace: ns.name }).catch(() => undefined);
    expect(pod === undefined || pod.metadata?.deletionTimestamp !== undefined).toBe(true);
  });
});

describe('sweeps', () => {
  it('never overlap: three at once delete each orphan once', async () => {
    const config = configOf();
    const ids = Array.from({ length: 12 }, (_, i) => `orphan-${i}`);
    await Promise.all(
      ids.map((id) =>
        core.createNamespacedPod({ namespace: ns.name, body: buildPod(config, { sandboxId: id, threadId: id, userId: 'default' }) }),
      ),
    );
    let deletes = 0;
    const counting = hooked({
      deleteNamespacedPod: async (real, args: { name: string }) => {
        if (args.name.startsWith('sandbox-orphan-')) deletes++;
        return real.deleteNamespacedPod(args as never);
      },
    });
    const provisioner = new SandboxProvisioner(counting, config, { server: 'test' });
    const later = Date.now() + 60_000;
    const results = await Promise.all([provisioner.sweepOrphans(later), provisioner.sweepOrphans(later), provisioner.sweepOrphans(later)]);
    for (const removed of results) expect(removed.filter((id) => id.startsWith('orphan-')).sort()).toEqual([...ids].sort());
    expect(deletes).toBe(ids.length);
  });
});
