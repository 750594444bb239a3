// The migration guard against the real API server: running sandbox Pods block a migration
// (and are named), an empty or missing namespace does not, an unreachable cluster is said so.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { checkNoSandboxesRunning } from '../../app/migration/guard.js';
import { buildPod } from '../../app/sandbox/specs.js';
import { unreachableKubeConfig } from '../support/kubeconfigs.js';
import { createTestNamespace, testKubeConfig, waitUntil } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const server = kc.getCurrentCluster()?.server ?? '';
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'guard');
});
afterAll(async () => ns?.remove());

describe('migration guard', () => {
  it('is clear for an empty namespace and for one that does not exist', async () => {
    expect(await checkNoSandboxesRunning(core, ns.name, server)).toEqual({ state: 'clear' });
    expect(await checkNoSandboxesRunning(core, 'no-such-namespace-here', server)).toEqual({ state: 'clear' });
  });

  it('refuses while a sandbox Pod runs, naming it, and ignores other Pods', async () => {
    await core.createNamespacedPod({
      namespace: ns.name,
      body: { metadata: { name: 'unrelated' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
    await core.createNamespacedPod({
      namespace: ns.name,
      body: buildPod(loadConfig({ K8S_NAMESPACE: ns.name }), { sandboxId: 'busy', threadId: 't', userId: 'u' }),
    });
    await waitUntil(
      'sandbox Running',
      async () => (await core.readNamespacedPod({ namespace: ns.name, name: 'sandbox-busy' })).status?.phase === 'Running',
    );
    expect(await checkNoSandboxesRunning(core, ns.name, server)).toEqual({ state: 'busy', pods: ['sandbox-busy'] });
  });

  it('says the cluster is unreachable instead of guessing', async () => {
    const dead = unreachableKubeConfig();
    const r = await checkNoSandboxesRunning(dead.makeApiClient(CoreV1Api), 'deer-flow', 'https://127.0.0.1:1');
    expect(r).toMatchObject({ state: 'unreachable', message: expect.stringContaining('unreachable') });
  });
});
