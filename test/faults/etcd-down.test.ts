// Faults: etcd stops. The API server still answers /version, but not /readyz: the cluster
// probe (Cluster screen, `cluster detect`) must say "not ready", not "ready".
import { afterAll, describe, expect, it } from 'vitest';
import { probeContext } from '../../app/cluster/contexts.js';
import { startComponent, stopComponent } from '../cluster/control-plane.js';
import { testKubeConfig, waitUntil } from '../integration/helpers.js';

const kc = testKubeConfig();

afterAll(async () => {
  await startComponent('etcd');
  await waitUntil('ready again', async () => (await probeContext(kc, kc.getCurrentContext())).state === 'ready', 60_000);
});

describe('cluster probe with etcd down', () => {
  it('reports ready, then not ready while etcd is down, then ready again', async () => {
    expect(await probeContext(kc, kc.getCurrentContext())).toMatchObject({ state: 'ready' });
    await stopComponent('etcd');
    const down = await waitUntil(
      'the probe to see it',
      async () => {
        const r = await probeContext(kc, kc.getCurrentContext());
        return r.state !== 'ready' ? r : undefined;
      },
      60_000,
    );
    expect(down).toMatchObject({ state: expect.stringMatching(/^(error|unreachable)$/) });
    expect('message' in down ? down.message : '').toMatch(/not ready \(\/readyz\)|did not answer/);
  });
});
