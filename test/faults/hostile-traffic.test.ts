// Hostile and racing traffic on loopback against the provisioner API on the real API server:
// fuzzed requests (odd paths and spellings, wrong types, broken JSON, huge or hostile ids,
// with and without the key) create nothing and never answer 500; creates and deletes of the
// same ids a few milliseconds apart leave no half-made sandbox once the sweep has run.
// Bounded in count and time; the generator is seeded, so a failure can be replayed.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProvisioner, startProvisioner } from '../../app/server/standalone.js';
import { clusterInfo, testKubeConfig, uniqueName } from '../integration/helpers.js';
import { seeded } from '../support/seeded.js';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const namespace = uniqueName('hostile');
const KEY = 'fuzz-key-0123456789abcdef';
let api: RunningProvisioner;

beforeAll(async () => {
  const env = {
    KUBECONFIG_PATH: clusterInfo().kubeconfig,
    K8S_NAMESPACE: namespace,
    PROVISIONER_PORT: '0',
    PROVISIONER_API_KEY: KEY,
    SANDBOX_ORPHAN_GRACE_SECONDS: '30',
  };
  api = await startProvisioner(env, () => {});
});
afterAll(async () => {
  await api?.close();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

const BAD_IDS = ['', 'A', 'a_b', '-a', 'a-', 'a'.repeat(60), '../x', '%2e%2e', 'a/b', 'a\u0000b', 'ä', ' a', 'a.b', '😀', 'x'.repeat(5000)];
const BAD_BODIES = [
  (id: string) => ({ sandbox_id: id }),
  () => ({ sandbox_id: 123 }),
  () => ({ sandbox_id: ['ok-id'] }),
  () => ({ sandbox_id: null }),
  () => ({}),
  () => ({ sandbox_id: 'ok-id', thread_id: 'bad thread' }),
  () => ({ sandbox_id: 'ok-id', thread_id: 'x'.repeat(65) }),
  () => ({ sandbox_id: 'ok-id', user_id: '../root' }),
  () => ({ sandbox_id: 'ok-id', user_id: 7 }),
  () => ({ sandbox_id: 'ok-id', user_id: 'u'.repeat(10_000) }),
  () => 'not json',
  () => '{"sandbox_id": "ok-id"',
  () => [1, 2, 3],
  () => 'null',
];
const PATHS = ['/api/sandboxes', '/%61pi/sandboxes', '/api/sandboxes/', '/API/sandboxes', '//api/sandboxes', '/api/./sandboxes'];

describe('fuzzed requests', () => {
  it('create nothing from bad input and answer no 500 (with the key: 4xx; without it: 401)', async () => {
    const next = seeded(20261201);
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] as T;
    const statuses = new Map<number, number>();
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 600 && Date.now() < deadline; i++) {
      const withKey = next() < 0.7;
      const headers: Record<string, string> = { 'content-type': next() < 0.9 ? 'application/json' : 'text/plain' };
      if (withKey) headers['x-api-key'] = KEY;
      else if (next() < 0.5) headers['x-api-key'] = pick(['', 'wrong', `${KEY}x`, KEY.toUpperCase()]);
      const kind = next();
      let r: Response;
      if (kind < 0.6) {
        const body = pick(BAD_BODIES)(pick(BAD_IDS));
        r = await fetch(`${api.url}${pick(PATHS)}`, {
          method: 'POST',
          headers,
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      } else {
        const id = encodeURIComponent(pick(BAD_IDS));
        r = await fetch(`${api.url}/api/sandboxes/${id}`, { method: pick(['GET', 'DELETE', 'PUT', 'PATCH']), headers });
      }
      await r.arrayBuffer();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // Without the key: refused (414 is the router's answer to an over-long id, before any route).
      if (!withKey) expect({ url: r.url.slice(0, 120), ok: [401, 414].includes(r.status) }).toEqual({ url: r.url.slice(0, 120), ok: true });
      expect(r.status).not.toBe(500);
    }
    const pods = await core.listNamespacedPod({ namespace });
    const services = await core.listNamespacedService({ namespace });
    expect({ pods: pods.items.length, services: services.items.length }).toEqual({ pods: 0, services: 0 });
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
  });
});

async function objectsNow() {
  const pods = new Set(
    (await core.listNamespacedPod({ namespace })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.labels?.['sandbox-id']),
  );
  const services = new Set((await core.listNamespacedService({ namespace })).items.map((s) => s.metadata?.labels?.['sandbox-id']));
  const halves = [...new Set([...pods, ...services])].filter((id) => pods.has(id) !== services.has(id));
  return { pods, services, halves };
}
const halvesNow = async () => (await objectsNow()).halves;

describe('creates and deletes of the same ids moments apart', () => {
  it('leave no Service without its Pod (or the reverse) once the sweep has run', async () => {
    const next = seeded(7);
    const ids = Array.from({ length: 150 }, (_, i) => `race-${i}`);
    const headers = { 'content-type': 'application/json', 'x-api-key': KEY };
    const raceOne = async (id: string) => {
      const creating = fetch(`${api.url}/api/sandboxes`, { method: 'POST', headers, body: JSON.stringify({ sandbox_id: id }) });
      await new Promise((r) => setTimeout(r, Math.floor(next() * 15)));
      const deleting = fetch(`${api.url}/api/sandboxes/${id}`, { method: 'DELETE', headers });
      await Promise.all([creating, deleting].map((p) => p.then((r) => r.arrayBuffer()).catch(() => undefined)));
    };
    for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map(raceOne));
    const before = await halvesNow();
    console.log(`half-made before the sweep: ${before.length} of ${ids.length}`);
    // Whatever the interleaving left, the sweep (clock moved past the grace) leaves only whole sandboxes.
    await new Promise((r) => setTimeout(r, 2000)); // deletes under way finish (kwok removes Pods)
    await api.provisioner.sweepOrphans(Date.now() + 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    const { pods, services, halves } = await objectsNow();
    expect(halves).toEqual([]);
    // And what the API lists is exactly the whole ones.
    const listed = (await (await fetch(`${api.url}/api/sandboxes`, { headers })).json()) as { sandboxes: { sandbox_id: string }[] };
    expect(listed.sandboxes.map((s) => s.sandbox_id).sort()).toEqual([...pods].filter((id) => services.has(id)).sort());
  });
});
