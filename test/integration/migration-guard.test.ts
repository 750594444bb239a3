// The migration guard against the real API server: running sandbox Pods block a migration
// (and are named), an empty or missing namespace does not, an unreachable cluster is said so.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { checkNoSandboxesRunning } from '../../app/migration/guard.js';
import { buildPod } from '../../app/sandbox/specs.js';
import { unreachableKubeConfig } from '../support/kubeconfigs.js';
import { createTestNamespace, testKubeConfig, uniqueName, waitUntil } from './helpers.js';

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

  it('with a target, counts only the sandbox Pods whose volumes can reach it, naming the volume', async () => {
    const byClaim = uniqueName('claims');
    const other = await createTestNamespace(kc, 'guard-vol');
    try {
      // One sandbox on claim "mine" (PVC mode), one on hostPath /srv/deer-flow (hostPath mode).
      await core.createNamespacedPod({
        namespace: other.name,
        body: buildPod(loadConfig({ K8S_NAMESPACE: other.name, USERDATA_PVC_NAME: 'mine' }), {
          sandboxId: 'on-claim',
          threadId: 't',
          userId: 'u',
        }),
      });
      await core.createNamespacedPod({
        namespace: other.name,
        body: buildPod(loadConfig({ K8S_NAMESPACE: other.name, DEER_FLOW_HOST_BASE_DIR: '/srv/deer-flow' }), {
          sandboxId: 'on-host',
          threadId: 't',
          userId: 'u',
        }),
      });
      expect(await checkNoSandboxesRunning(core, other.name, server, { kind: 'pvc', claim: 'mine' })).toEqual({
        state: 'busy',
        pods: ['sandbox-on-claim (mounts claim mine)'],
      });
      expect(await checkNoSandboxesRunning(core, other.name, server, { kind: 'pvc', claim: byClaim })).toEqual({ state: 'clear' });
      const local = await checkNoSandboxesRunning(core, other.name, server, { kind: 'local', baseDir: '/srv/deer-flow' });
      expect(local).toMatchObject({
        state: 'busy',
        pods: [
          expect.stringMatching(/^sandbox-on-claim \(mounts .*, which may be this folder/),
          expect.stringMatching(/^sandbox-on-host \(mounts \/srv\/deer-flow/),
        ],
      });
    } finally {
      await other.remove();
    }
  });

  it('says the cluster is unreachable instead of guessing', async () => {
    const dead = unreachableKubeConfig();
    const r = await checkNoSandboxesRunning(dead.makeApiClient(CoreV1Api), 'deer-flow', 'https://127.0.0.1:1');
    expect(r).toMatchObject({ state: 'unreachable', message: expect.stringContaining('unreachable') });
  });
});
