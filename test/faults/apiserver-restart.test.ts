// Faults: the API server stops in the middle of a burst of creates and comes back. Every
// request must get an answer in bounded time (200, or 503 with a clear detail), /health keeps
// answering, the server recovers by itself, and no Pod is left without its Service.
// Runs in its own Vitest project, after the integration tests, because it stops the shared
// control plane's API server.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { startComponent, stopComponent } from '../cluster/control-plane.js';
import { clusterInfo, testKubeConfig, timedCreate, uniqueName, waitUntil } from '../integration/helpers.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const namespace = uniqueName('faults');
let api: RunningProvisioner;

beforeAll(async () => {
  const env = {
    KUBECONFIG_PATH: clusterInfo().kubeconfig,
    K8S_NAMESPACE: namespace,
    PROVISIONER_PORT: '0',
    // Long enough that neither the periodic sweep nor a creationTimestamp (whole seconds, so a
    // Pod looks up to 1 s older than it is) can remove the test's orphan early; the sweep test
    // moves the clock forward instead of waiting.
    SANDBOX_ORPHAN_GRACE_SECONDS: '30',
  };
  api = await startProvisioner(env, () => {});
});
afterAll(async () => {
  await startComponent('kube-apiserver');
  await api?.close();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

const create = (id: string) => timedCreate(api.url, id);

describe('API server down and back during a burst of creates', () => {
  it('answers 503 in bounded time while down, keeps /health, recovers, and leaves no orphan', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    const results: Record<string, { status: number; detail?: string; ms: number }> = {};
    let stopped = false;
    const burst = (async () => {
      for (const id of ids) {
        results[id] = await create(id);
        if (id === 'burst-10') {
          stopped = true;
          await stopComponent('kube-apiserver');
          const health = await fetch(`${api.url}/health`);
          expect(health.status).toBe(200);
        }
      }
    })();
    await burst;
    expect(stopped).toBe(true);

    const statuses = Object.values(results).map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const failed = Object.entries(results).filter(([, r]) => r.status === 503);
    expect(failed.length).toBeGreaterThan(0);
    for (const [, r] of failed) {
      expect(r.detail).toMatch(/Kubernetes is unavailable: .*(unreachable|did not answer)/);
      expect(r.ms).toBeLessThan(15_000);
    }
    expect(results['burst-0']?.status).toBe(200);

    await startComponent('kube-apiserver');
    // Recovery by itself: the same server answers again without a restart.
    const after = await waitUntil(
      'a create succeeds again',
      async () => ((await create('after-restart')).status === 200 ? true : undefined),
      60_000,
      500,
    );
    expect(after).toBe(true);

    // Clients retry what failed; every id then exists whole.
    for (const [id] of failed) expect((await create(id)).status).toBe(200);
    const { pods, services } = await api.provisioner.listObjects();
    for (const id of ids) {
      expect(pods.has(id), `Pod of ${id}`).toBe(true);
      expect(services.has(id), `Service of ${id}`).toBe(true);
    }
  });

  it('the sweep removes a Pod left without its Service after the grace period', async () => {
    const config = loadConfig({ K8S_NAMESPACE: namespace });
    const { buildPod } = await import('../../app/sandbox/specs.js');
    await core.createNamespacedPod({ namespace, body: buildPod(config, { sandboxId: 'orphan', threadId: 'orphan', userId: 'default' }) });
    expect(await api.provisioner.sweepOrphans(Date.now())).not.toContain('orphan'); // still inside the grace period
    const removed = await api.provisioner.sweepOrphans(Date.now() + 60_000);
    expect(removed).toEqual(['orphan']);
    await waitUntil(
      'orphan gone',
      async () => (await core.listNamespacedPod({ namespace, labelSelector: 'sandbox-id=orphan' })).items.length === 0,
    );
  });
});
