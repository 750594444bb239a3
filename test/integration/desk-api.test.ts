// The desk API against the real API server, through the renderer's own client: token and
// Host checks, live events from the watch (create → Running → deleted), a sandbox's detail
// and logs (kwok), field errors, settings applied, the provisioner API switched on and off.

import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeskCore } from '../../app/core/desk-core.js';
import type { DeskEvent, LogEvent } from '../../app/desk/contract.js';
import type { RunningDeskServer } from '../../app/server/desk-api.js';
import { listenProvisionerApi } from '../../app/server/serve.js';
import { type DeskClient, DeskError } from '../../renderer/src/api/client.js';
import { clusterInfo, startDesk, testKubeConfig, uniqueName, waitUntil, wirePodToFolder } from './helpers.js';

const kc = testKubeConfig();
const coreApi = kc.makeApiClient(CoreV1Api);
const namespace = uniqueName('desk');
let desk: Awaited<ReturnType<typeof startDesk>>;
let server: RunningDeskServer;
let client: DeskClient;
const events: DeskEvent[] = [];
let unsubscribe: () => void;

beforeAll(async () => {
  desk = await startDesk({ K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0' });
  ({ server, client } = desk);
  const open = new Promise<void>((resolve) => {
    unsubscribe = client.subscribe(
      (e) => events.push(e),
      (s) => s === 'open' && resolve(),
    );
  });
  await open;
});

afterAll(async () => {
  unsubscribe?.();
  await desk?.close();
  for (const ns of [namespace, `${namespace}-b`]) await coreApi.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('desk API guards', () => {
  it('refuses requests without the token, with a wrong one, and to another Host name', async () => {
    expect((await fetch(`${server.url}/desk/sandboxes`)).status).toBe(401);
    expect((await fetch(`${server.url}/desk/sandboxes`, { headers: { 'x-desk-token': 'nope' } })).status).toBe(401);
    // DNS rebinding: a page of another site whose name resolves to 127.0.0.1.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/desk/sandboxes`, { headers: { host: 'attacker.example', 'x-desk-token': server.token } }, (res) =>
        resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    expect(server.uiUrl).toBe(`${server.url}/?token=${server.token}`);
  });
});

describe('sandboxes through the desk API', () => {
  it('a created sandbox arrives as events: first Pending or Running, then Running and Ready', async () => {
    await waitUntil('watch synced', async () => (await client.call('listSandboxes')).watching);
    const created = await client.call('createSandbox', { body: { sandbox_id: 'desk-1', user_id: 'alice' } });
    expect(created).toMatchObject({ sandbox_id: 'desk-1', user_id: 'alice', thread_id: 'desk-1' });
    await waitUntil(
      'a Running + Ready event for desk-1',
      async () => events.some((e) => e.type === 'sandbox' && e.id === 'desk-1' && e.sandbox?.status === 'Running' && e.sandbox.ready),
      30_000,
    );
    const listed = (await client.call('listSandboxes')).sandboxes.map((s) => s.sandbox_id);
    expect(listed).toEqual(['desk-1']);
  });

  it('refuses to "create" an id in use (the dialog means a new sandbox), on the id field', async () => {
    const err = await client.call('createSandbox', { body: { sandbox_id: 'desk-1' } }).catch((e: unknown) => e);
    expect((err as DeskError).status).toBe(422);
    expect((err as DeskError).fields.sandbox_id).toMatch(/"desk-1" is in use by a sandbox already/);
  });

  it('answers a bad id with the field error and creates nothing', async () => {
    const err = await client.call('createSandbox', { body: { sandbox_id: 'Bad_Id' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeskError);
    expect((err as DeskError).status).toBe(422);
    expect(Object.keys((err as DeskError).fields)).toEqual(['sandbox_id']);
    const pods = await coreApi.listNamespacedPod({ namespace });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['sandbox-desk-1']);
  });

  it('shows the Pod as the UI needs it: mounts, resources, conditions, events', async () => {
    const d = await client.call('sandboxDetail', { params: { id: 'desk-1' } });
    expect(d.mounts.map((m) => m.mountPath).sort()).toEqual([
      '/mnt/skills/custom',
      '/mnt/skills/legacy',
      '/mnt/skills/public',
      '/mnt/user-data',
    ]);
    expect(d.mounts.find((m) => m.mountPath === '/mnt/user-data')?.source).toEqual({
      hostPath: '/.deer-flow/threads/desk-1/user-data',
      type: 'DirectoryOrCreate',
    });
    expect(d.resources.limits).toMatchObject({ cpu: '1', memory: '1Gi' });
    expect(d.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(d.events.some((e) => e.object === 'Pod' && e.reason === 'Scheduled')).toBe(true);
    await expect(client.call('sandboxDetail', { params: { id: 'missing' } })).rejects.toMatchObject({
      status: 404,
      message: "Sandbox 'missing' not found",
    });
  });

  it('streams logs kwok serves, then says the stream ended', async () => {
    await wirePodToFolder(kc, namespace, 'sandbox-desk-1', ['first line', 'second line']);
    const got: LogEvent[] = [];
    await client.logs('desk-1', { follow: false }, (e) => got.push(e), new AbortController().signal);
    expect(got.flatMap((e) => (e.type === 'lines' ? e.lines : []))).toEqual(['first line', 'second line']);
    expect(got.at(-1)).toEqual({ type: 'end', reason: 'end of log' });
  });

  it('a deletion arrives as a removal event', async () => {
    await client.call('deleteSandbox', { params: { id: 'desk-1' } });
    await waitUntil(
      'a removal event',
      async () => events.some((e) => e.type === 'sandbox' && e.id === 'desk-1' && e.sandbox === null),
      30_000,
    );
  });
});

describe('settings and the provisioner API', () => {
  it('refuses invalid settings by field, and applies valid ones (a new namespace is watched)', async () => {
    const err = await client.call('saveSettings', { body: { SANDBOX_SERVICE_TYPE: 'LoadBalancer' } }).catch((e: unknown) => e);
    expect((err as DeskError).fields).toEqual({ SANDBOX_SERVICE_TYPE: expect.stringContaining('expected NodePort or ClusterIP') });
    const view = await client.call('saveSettings', { body: { K8S_NAMESPACE: `${namespace}-b` } });
    expect(view.settings.K8S_NAMESPACE).toBe(`${namespace}-b`);
    expect((await client.call('clusterStatus')).namespace).toBe(`${namespace}-b`);
    await client.call('createSandbox', { body: { sandbox_id: 'in-b' } });
    await expect(coreApi.readNamespacedPod({ namespace: `${namespace}-b`, name: 'sandbox-in-b' })).resolves.toBeDefined();
  });

  it('starts and stops the upstream-compatible API on request', async () => {
    const on = await client.call('setProvisionerApi', { body: { running: true } });
    expect(on.running).toBe(true);
    const health = await fetch(`${on.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const listed = (await (await fetch(`${on.url}/api/sandboxes`)).json()) as { count: number };
    expect(listed.count).toBe(1);
    // Left on, it starts again with the next launch.
    const again = new DeskCore({
      listen: listenProvisionerApi,
      settingsFile: desk.core.settings.file,
      env: { KUBECONFIG_PATH: clusterInfo().kubeconfig, PROVISIONER_PORT: '0' },
    });
    await again.start();
    expect(again.provisionerApi().running).toBe(true);
    await again.close();
    const off = await client.call('setProvisionerApi', { body: { running: false } });
    expect(off).toEqual({ running: false, url: undefined, error: undefined });
    await expect(fetch(`${on.url}/health`)).rejects.toThrow();
  });

  it('writes the container kubeconfig to a private file, never over another, and sends no credentials to the page', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'spd-export-')), 'kubeconfig');
    const r = await client.call('exportContainerKubeconfig', { body: { path } });
    expect(r.path).toBe(path);
    expect(r.apiServer).toMatch(/^https:\/\/host\.docker\.internal:\d+$/);
    expect(JSON.stringify(r)).not.toMatch(/client-key|token|BEGIN/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain('tls-server-name');
    const again = await client.call('exportContainerKubeconfig', { body: { path } }).catch((e: unknown) => e);
    expect((again as DeskError).fields.path).toMatch(/exists/);
  });

  it('reports the cluster: context, reachability, nodes, and the API server address containers use', async () => {
    const status = await client.call('clusterStatus');
    expect(status.current).toBe(kc.getCurrentContext());
    expect(status.reachability).toMatchObject({ state: 'ready' });
    expect(status.nodeCount).toBeGreaterThanOrEqual(1);
    expect(status.containerApiServer).toBe(`https://host.docker.internal:${new URL(clusterInfo().server).port}`);
  });

  it('answers 404 for a job it does not know', async () => {
    const err = await client.call('cancelJob', { params: { id: 'no-such-job' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, message: 'no job no-such-job' });
  });

  it('names an unknown context', async () => {
    const err = await client.call('useContext', { body: { name: 'nope' } }).catch((e: unknown) => e);
    expect((err as DeskError).fields).toEqual({ name: expect.stringContaining('context "nope" is not in the kubeconfig') });
  });
});
