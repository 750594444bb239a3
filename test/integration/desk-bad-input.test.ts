// Bad input to the desk API gets a field error (never a 500) and changes nothing: JSON types
// are not coerced, the container kubeconfig export checks its host and folder, migration
// sources are checked before any work (a missing claim answers at once and leaves no helper
// Pod), and a context switch leaves the provisioner API as wanted, or says why not.
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { DeskError } from '../../renderer/src/api/client.js';
import { clusterInfo, startDesk, testKubeConfig, uniqueName, waitUntil } from './helpers.js';

const kc = testKubeConfig();
const coreApi = kc.makeApiClient(CoreV1Api);
const namespace = uniqueName('desk-bad');
let desk: Awaited<ReturnType<typeof startDesk>>;

/** The test kubeconfig plus a context "rejected" whose credentials the API server refuses. */
function kubeconfigWithRejectedContext(): string {
  const good = new KubeConfig();
  good.loadFromFile(clusterInfo().kubeconfig);
  const cluster = good.getCurrentCluster();
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [...good.clusters.map((c) => ({ name: c.name, cluster: { server: c.server, 'certificate-authority-data': c.caData } }))],
    users: [
      ...good.users.map((u) => ({ name: u.name, user: { 'client-certificate-data': u.certData, 'client-key-data': u.keyData } })),
      { name: 'nobody', user: { token: 'not-a-valid-token' } },
    ],
    contexts: [
      ...good.contexts.map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user } })),
      { name: 'rejected', context: { cluster: cluster?.name, user: 'nobody' } },
    ],
    'current-context': good.getCurrentContext(),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'spd-kc-')), 'kubeconfig');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  desk = await startDesk({ K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0', KUBECONFIG_PATH: kubeconfigWithRejectedContext() });
});
afterAll(async () => {
  await desk?.close();
  await coreApi.deleteNamespace({ name: namespace }).catch(() => undefined);
});

/** A raw JSON request through the desk's own address and token, for bodies the typed client would not send. */
async function post(path: string, body: unknown, method = 'POST'): Promise<{ status: number; detail: unknown }> {
  const r = await fetch(`${desk.server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-desk-token': desk.server.token },
    body: JSON.stringify(body),
  });
  return { status: r.status, detail: ((await r.json()) as { detail: unknown }).detail };
}

describe('JSON types are not coerced', () => {
  it('a number where a string belongs creates nothing', async () => {
    const r = await post('/desk/sandboxes', { sandbox_id: 123 });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.detail)).toContain('sandbox_id');
    const pods = await coreApi.listNamespacedPod({ namespace }).catch(() => ({ items: [] }));
    expect(pods.items).toEqual([]);
  });

  it('0 is not false: the provisioner API switch refuses it', async () => {
    await desk.client.call('setProvisionerApi', { body: { running: true } });
    const r = await post('/desk/provisioner-api', { running: 0 });
    expect(r.status).toBe(422);
    expect((await desk.client.call('provisionerApi')).running).toBe(true);
    await desk.client.call('setProvisionerApi', { body: { running: false } });
  });
});

describe('container kubeconfig export', () => {
  it.each(['a..b', '-x', 'x-', '[::::]', '1.2.3', 'a b', 'host:1', `${'a'.repeat(64)}.example`])(
    'refuses host %j on its field',
    async (host) => {
      const dir = mkdtempSync(join(tmpdir(), 'spd-export-'));
      const err = await desk.client.call('exportContainerKubeconfig', { body: { path: join(dir, 'kc'), host } }).catch((e: unknown) => e);
      expect((err as DeskError).status).toBe(422);
      expect((err as DeskError).fields.host).toMatch(/host name .* or an IP address/);
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('refuses a folder that does not exist on the path field', async () => {
    const path = join(tmpdir(), uniqueName('no-such-folder'), 'kc');
    const err = await desk.client.call('exportContainerKubeconfig', { body: { path } }).catch((e: unknown) => e);
    expect((err as DeskError).status).toBe(422);
    expect((err as DeskError).fields.path).toMatch(/does not exist; create it first/);
  });

  it('takes a good host name and an IPv6 address', async () => {
    for (const host of ['host.docker.internal', '[::1]', '10.0.0.2']) {
      const path = join(mkdtempSync(join(tmpdir(), 'spd-export-')), 'kc');
      await expect(desk.client.call('exportContainerKubeconfig', { body: { path, host } })).resolves.toMatchObject({ path });
    }
  });
});

describe('migration sources', () => {
  it('a claim that does not exist is named at once (no 120 s wait) and no helper Pod is left', async () => {
    const started = Date.now();
    const err = await desk.client
      .call('scanMigration', { body: { source: { kind: 'pvc', claim: 'no-such-claim' }, userId: 'default' } })
      .catch((e: unknown) => e);
    expect((err as DeskError).status).toBe(422);
    expect((err as DeskError).fields.source).toMatch(/there is no PersistentVolumeClaim no-such-claim in namespace/);
    expect(Date.now() - started).toBeLessThan(30_000);
    const helpers = await coreApi.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/component=migration-helper' });
    expect(helpers.items).toEqual([]);
  });

  it('the claims are listed to choose from, and Cancel stops a PVC scan whose helper cannot start, removing it', async () => {
    // No volume can bind this claim here: its helper Pod would wait Pending until the deadline (120 s).
    await coreApi.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: 'unbound-claim' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'none-here' },
      },
    });
    expect(await desk.client.call('listClaims')).toContainEqual({
      name: 'unbound-claim',
      phase: 'Pending',
      capacity: '1Gi',
      storageClass: 'none-here',
    });
    const helpers = async () =>
      (await coreApi.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/component=migration-helper' })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
    const abort = new AbortController();
    const started = Date.now();
    const scan = desk.client
      .call('scanMigration', { body: { source: { kind: 'pvc', claim: 'unbound-claim' }, userId: 'default' }, signal: abort.signal })
      .catch((e: unknown) => e);
    await waitUntil('the helper Pod made', async () => (await helpers()).length === 1);
    abort.abort();
    expect(await scan).toMatchObject({ name: 'AbortError' });
    await waitUntil('the helper Pod removed after Cancel', async () => (await helpers()).length === 0, 15_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a base folder that is a symbolic link, a file, or missing is a field error', async () => {
    const real = mkdtempSync(join(tmpdir(), 'spd-base-'));
    const link = `${real}-link`;
    symlinkSync(real, link);
    writeFileSync(join(real, 'file'), 'x');
    for (const [baseDir, why] of [
      [link, /is a symbolic link; choose the folder it points to/],
      [join(real, 'file'), /is not a folder/],
      [join(real, 'missing'), /does not exist/],
    ] as const) {
      const err = await desk.client
        .call('scanMigration', { body: { source: { kind: 'local', baseDir }, userId: 'default' } })
        .catch((e: unknown) => e);
      expect((err as DeskError).status).toBe(422);
      expect((err as DeskError).fields.source).toMatch(why);
    }
  });

  it('a base folder with a link on the way is a field error before anything moves', async () => {
    const base = mkdtempSync(join(tmpdir(), 'spd-base-'));
    mkdirSync(join(base, 'threads/t1'), { recursive: true });
    writeFileSync(join(base, 'threads/t1/a.txt'), 'a');
    symlinkSync(mkdtempSync(join(tmpdir(), 'spd-outside-')), join(base, 'users'));
    const err = await desk.client
      .call('scanMigration', { body: { source: { kind: 'local', baseDir: base }, userId: 'default' } })
      .catch((e: unknown) => e);
    expect((err as DeskError).status).toBe(422);
    expect((err as DeskError).fields.source).toMatch(/users in .* is a symbolic link/);
  });

  it('the root folder scans without an error', async () => {
    const view = await desk.client.call('scanMigration', { body: { source: { kind: 'local', baseDir: '/' }, userId: 'default' } });
    expect(view.plan.moves).toBeInstanceOf(Array);
  });
});

describe('context switches and the provisioner API', () => {
  it('a switch to a context that fails and back leaves the API running as the settings say', async () => {
    const good = kc.getCurrentContext();
    const on = await desk.client.call('setProvisionerApi', { body: { running: true } });
    expect(on.running).toBe(true);
    const bad = await desk.client.call('useContext', { body: { name: 'rejected' } });
    expect(bad.problem).toMatch(/./);
    const off = await desk.client.call('provisionerApi');
    expect(off.running).toBe(false);
    expect(off.error).toMatch(/./); // says why it is not running
    await desk.client.call('useContext', { body: { name: good } });
    const back = await desk.client.call('provisionerApi');
    expect(back.running).toBe(true);
    expect(back.error).toBeUndefined();
    expect((await fetch(`${back.url}/health`)).status).toBe(200);
    expect(desk.core.settings.provisionerApi).toBe(true);
  });
});
