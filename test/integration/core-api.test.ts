// The connection's CoreV1Api against the real API server: its three plain-JSON writes make the
// objects the library's calls make, fail with the library's ApiException (so 404, 409 and the
// NodePort 422 are recognised as before), share the pool's kept-alive connection with the
// library's calls, and any parameter they do not send (dryRun) goes the library's way.
import { ApiException, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/config.js';
import { AgentPool } from '../../app/kube/api-client.js';
import { makeCoreApi } from '../../app/kube/core-api.js';
import { isConflict, isNotFound, toClusterError } from '../../app/kube/errors.js';
import { loadKubeConfig } from '../../app/kube/kubeconfig.js';
import { isPortAllocated } from '../../app/sandbox/node-ports.js';
import { buildPod, buildService } from '../../app/sandbox/specs.js';
import { clusterInfo, countConnections, createTestNamespace, testKubeConfig } from './helpers.js';

const library = testKubeConfig().makeApiClient(CoreV1Api);
let ns: { name: string; remove: () => Promise<void> };
beforeAll(async () => {
  ns = await createTestNamespace(testKubeConfig(), 'core-api');
});
afterAll(() => ns?.remove());

const ids = (id: string) => ({ sandboxId: id, threadId: `thread-${id}`, userId: 'default' });
/** A Pod (or Service) of sandbox "plain" or "library" with the id replaced, minus what the server assigns. */
const comparable = (o: V1Pod | object) => {
  const { metadata, spec } = JSON.parse(JSON.stringify(o).replace(/plain|library/g, 'ID')) as V1Pod;
  const { labels, annotations, ownerReferences, name } = metadata ?? {};
  const { nodeName: _node, clusterIP: _ip, clusterIPs: _ips, ...rest } = (spec ?? {}) as Record<string, unknown>;
  if (Array.isArray(rest.ports)) rest.ports = rest.ports.map(({ nodePort: _p, ...port }: Record<string, unknown>) => port);
  return { name, labels, annotations, owners: ownerReferences?.length ?? 0, spec: rest };
};

/** The connection's CoreV1Api on a pool of its own, whose TLS connections are counted. */
function connect() {
  const { kc } = loadKubeConfig({ kubeconfigPath: clusterInfo().kubeconfig });
  const pool = new AgentPool();
  const sockets = countConnections(pool);
  return { pool, sockets, core: makeCoreApi(kc, pool), config: loadConfig({ K8S_NAMESPACE: ns.name }) };
}

describe('the connection CoreV1Api', () => {
  it('creates and deletes as the library does, on one kept-alive connection', async () => {
    const { pool, core, config, sockets } = connect();

    const pod = await core.createNamespacedPod({ namespace: ns.name, body: buildPod(config, ids('plain')) });
    const service = await core.createNamespacedService({ namespace: ns.name, body: buildService(config, 'plain', undefined, pod) });
    const libPod = await library.createNamespacedPod({ namespace: ns.name, body: buildPod(config, ids('library')) });
    const libService = await library.createNamespacedService({
      namespace: ns.name,
      body: buildService(config, 'library', undefined, libPod),
    });
    // The API server's own JSON: a uid, a resourceVersion, the timestamp as the watch has it.
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof pod.metadata?.creationTimestamp).toBe('string');
    expect(service.metadata?.ownerReferences?.[0]?.uid).toBe(pod.metadata?.uid);
    const stored = await library.readNamespacedPod({ namespace: ns.name, name: pod.metadata?.name ?? '' });
    expect(comparable(stored)).toEqual(comparable(libPod));
    expect(comparable(pod)).toEqual(comparable(libPod));
    expect(comparable(service)).toEqual(comparable(libService));

    // A library call (a read) and the plain writes share the connection.
    await core.readNamespacedPod({ namespace: ns.name, name: pod.metadata?.name ?? '' });
    const deleted = await core.deleteNamespacedPod({
      namespace: ns.name,
      name: pod.metadata?.name ?? '',
      body: { preconditions: { uid: pod.metadata?.uid } },
    });
    expect(deleted.metadata?.uid).toBe(pod.metadata?.uid);
    expect(pool.created).toBe(1);
    expect(sockets.size).toBe(1);
    pool.destroy();
  });

  it("fails with the library's ApiException: 409, 404, a failed precondition, the NodePort 422", async () => {
    const { pool, core, config } = connect();
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );

    const pod = await core.createNamespacedPod({ namespace: ns.name, body: buildPod(config, ids('twice')) });
    const again = await failure(core.createNamespacedPod({ namespace: ns.name, body: buildPod(config, ids('twice')) }));
    expect(again).toBeInstanceOf(ApiException);
    expect(isConflict(again)).toBe(true);
    expect(toClusterError(again, 'test').message).toMatch(/pods "sandbox-twice" already exists/);

    const missing = await failure(core.deleteNamespacedPod({ namespace: ns.name, name: 'sandbox-never-made' }));
    expect(isNotFound(missing)).toBe(true);
    const wrongUid = await failure(
      core.deleteNamespacedPod({ namespace: ns.name, name: pod.metadata?.name ?? '', body: { preconditions: { uid: 'not-its-uid' } } }),
    );
    expect(isConflict(wrongUid)).toBe(true);
    // The precondition kept the Pod.
    expect((await library.readNamespacedPod({ namespace: ns.name, name: pod.metadata?.name ?? '' })).metadata?.uid).toBe(pod.metadata?.uid);

    const first = await core.createNamespacedService({
      namespace: ns.name,
      body: buildService({ ...config, serviceType: 'NodePort' }, 'port-a'),
    });
    const taken = first.spec?.ports?.[0]?.nodePort;
    expect(taken).toBeGreaterThan(0);
    const clash = await failure(
      core.createNamespacedService({ namespace: ns.name, body: buildService({ ...config, serviceType: 'NodePort' }, 'port-b', taken) }),
    );
    expect(isPortAllocated(clash)).toBe(true);
    pool.destroy();
  });

  it("takes the library's path for a parameter the plain writes do not send", async () => {
    const { pool, core, config } = connect();
    const dry = await core.createNamespacedPod({ namespace: ns.name, body: buildPod(config, ids('dry')), dryRun: 'All' });
    // The library deserialises into its model (a Date); nothing was stored.
    expect(dry.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const stored = await library.readNamespacedPod({ namespace: ns.name, name: 'sandbox-dry' }).then(
      () => true,
      (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)),
    );
    expect(stored).toBe(false);
    pool.destroy();
  });
});
