// Faults: etcd goes down under a running API server. The API server still answers /version,
// so only /readyz tells that it cannot serve; the desk must say "not ready" (not "ready"),
// the provisioner API must answer 503 in bounded time and keep /health, and both recover
// when etcd is back.
// This runs on a throw-away control plane of its own: stopping etcd under the shared one left
// kwok's node without addresses (logs and exec failing) for the tests that came after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { type ClusterState, down, startComponent, stopComponent, up } from '../cluster/control-plane.js';
import { startDesk, timedCreate, waitUntil } from '../integration/helpers.js';

// Every control-plane helper reads this at call time; this test file runs in a process of its own.
const runDir = mkdtempSync(join(tmpdir(), 'spd-etcd-outage-'));
process.env.SPD_CLUSTER_RUN_DIR = runDir;

let cluster: ClusterState;
let desk: Awaited<ReturnType<typeof startDesk>>;
let api: RunningProvisioner;
const quiet = () => {};

beforeAll(async () => {
  cluster = await up(quiet);
  desk = await startDesk({ KUBECONFIG_PATH: cluster.kubeconfig, K8S_NAMESPACE: 'etcd-outage' });
  api = await startProvisioner({ KUBECONFIG_PATH: cluster.kubeconfig, K8S_NAMESPACE: 'etcd-outage', PROVISIONER_PORT: '0' }, quiet);
});
afterAll(async () => {
  await api?.close();
  await desk?.close();
  await down(quiet);
  rmSync(runDir, { recursive: true, force: true });
});

const post = (id: string) => timedCreate(api.url, id);

describe('etcd down under a running API server', () => {
  it('the desk says not ready, creates are 503 in bounded time, and both recover', async () => {
    expect((await desk.client.call('clusterStatus')).reachability?.state).toBe('ready');
    expect((await post('before')).status).toBe(200);

    await stopComponent('etcd');
    const notReady = await waitUntil('the desk to report the API server not ready', async () => {
      const r = (await desk.client.call('clusterStatus')).reachability;
      return r?.state !== 'ready' ? r : undefined;
    });
    expect(notReady).toMatchObject({ state: 'error', message: expect.stringMatching(/answers but is not ready \(\/readyz .*etcd/) });

    const refused = await post('during');
    expect(refused.status).toBe(503);
    expect(refused.detail).toMatch(/Kubernetes is unavailable/);
    expect(refused.ms).toBeLessThan(30_000); // bounded: the request timeout, not etcd's retries
    console.log(`etcd down: create answered ${refused.status} in ${refused.ms} ms`);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);

    await startComponent('etcd');
    await waitUntil(
      'the desk to report ready again',
      async () => (await desk.client.call('clusterStatus')).reachability?.state === 'ready',
      90_000,
    );
    const after = await waitUntil(
      'a create to succeed again',
      async () => ((await post('after')).status === 200 ? true : undefined),
      90_000,
      500,
    );
    expect(after).toBe(true);
  });
});
