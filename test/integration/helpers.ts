// Shared helpers for integration tests: the admin KubeConfig of the test control plane,
// a throw-away namespace per test file, and kwok per-Pod log/exec wiring.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { DeskCore } from '../../app/core/desk-core.js';
import type { AgentPool } from '../../app/kube/api-client.js';
import { startDeskServer } from '../../app/server/desk-api.js';
import { listenProvisionerApi } from '../../app/server/serve.js';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { DeskClient } from '../../renderer/src/api/client.js';
import { wireExec, wireLogs } from '../cluster/kwok.js';
import { criLine } from '../support/cri.js';
import { waitUntil } from '../support/wait.js';

export function clusterInfo() {
  return inject('cluster');
}

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(clusterInfo().kubeconfig);
  return kc;
}

/** Counts the TLS connections a pool's agents open (each new connection logs its keys once). */
export function countConnections(pool: AgentPool): Set<unknown> {
  const sockets = new Set<unknown>();
  const original = pool.agentFor.bind(pool);
  pool.agentFor = (fresh: unknown) => {
    const agent = original(fresh) as import('node:https').Agent;
    if (!agent.listenerCount('keylog')) agent.on('keylog', (_line, socket) => sockets.add(socket));
    return agent;
  };
  return sockets;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a namespace for one test file; the returned function deletes it. */
export async function createTestNamespace(kc: KubeConfig, prefix = 'it'): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { 'spd-test': 'true' } } } });
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * Points kwok's simulated container logs and exec for one Pod at a folder of the test's own:
 * `logs` (CRI format, followed) and exec commands running in `workDir`.
 */
export async function wirePodToFolder(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  initialLogLines: string[] = [],
  execWorkDir?: string,
) {
  const dir = mkdtempSync(join(tmpdir(), `spd-pod-${pod}-`));
  const logsFile = join(dir, 'container.log');
  writeFileSync(logsFile, initialLogLines.map((l) => criLine(l)).join(''));
  const workDir = execWorkDir ?? join(dir, 'work');
  mkdirSync(workDir, { recursive: true });
  await wireLogs(kc, namespace, pod, logsFile);
  await wireExec(kc, namespace, pod, workDir);
  return { dir, logsFile, workDir };
}

export { criLine } from '../support/cri.js';

export { waitUntil };

/**
 * For one test file: the headless provisioner (as `serve` starts it) on a namespace of its own,
 * its watch synced before the first test; stopped and the namespace deleted after the last.
 */
export function watchedProvisionerForFile(prefix: string) {
  const namespace = uniqueName(prefix);
  const env = { KUBECONFIG_PATH: clusterInfo().kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0' };
  const ctx = { namespace, config: loadConfig(env), api: undefined as unknown as RunningProvisioner };
  beforeAll(async () => {
    ctx.api = await startProvisioner(env, () => {});
    await waitUntil('watch synced', async () => ctx.api.cache.synced);
  });
  afterAll(async () => {
    await ctx.api?.close();
    await testKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });
  return ctx;
}

/** The desktop core and its desk API against the test cluster, with the renderer's own client. */
export async function startDesk(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'spd-desk-'));
  const core = new DeskCore({
    listen: listenProvisionerApi,
    settingsFile: join(dir, 'settings.json'),
    env: { KUBECONFIG_PATH: clusterInfo().kubeconfig, HOME: dir, ...env },
  });
  await core.start();
  const server = await startDeskServer({ core });
  return {
    core,
    server,
    client: new DeskClient(server.url, server.token),
    close: async () => {
      await server.close();
      await core.close();
    },
  };
}

/** POST /api/sandboxes on a provisioner API: the status, the error detail, and how long it took. */
export async function timedCreate(baseUrl: string, sandboxId: string): Promise<{ status: number; detail?: string; ms: number }> {
  const started = Date.now();
  const r = await fetch(`${baseUrl}/api/sandboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sandbox_id: sandboxId }),
  });
  const body = (await r.json()) as { detail?: string };
  return { status: r.status, detail: body.detail, ms: Date.now() - started };
}
