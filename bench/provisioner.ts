// Benchmark of the provisioner API against the test control plane. For each number of
// sandboxes present: create, get, list and delete through our HTTP API (p50/p99, Kubernetes
// calls per operation), beside "the limit": the API server's own time for the same calls made
// straight on a kept-alive connection, in the same pattern ours makes them (create: Pod and
// Service at once; delete: both at once; get: one read, though ours reads the watch). Then
// 32-way concurrent creates, the watch cache's memory per 1,000 sandboxes, and RSS over 10,000
// requests. Prints numbers and ratios; never a pass/fail verdict.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadConfig } from '../app/config/config.js';
import { AgentPool, makeApiClient } from '../app/kube/api-client.js';
import { loadKubeConfig } from '../app/kube/kubeconfig.js';
import { buildPod, buildService } from '../app/sandbox/specs.js';
import { SandboxWatchCache } from '../app/sandbox/watch-cache.js';
import { startProvisioner } from '../app/server/standalone.js';
import { up } from '../test/cluster/control-plane.js';
import { percentile, pool, table, timed } from './stats.js';

const SIZES = (process.env.BENCH_SIZES ?? '1,200,1000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const RSS_REQUESTS = Number(process.env.BENCH_RSS_REQUESTS ?? 10_000);
/**
 * Upstream's provisioner to measure beside ours in the same run, when one is running on this
 * machine against the same control plane (its own namespace): BENCH_UPSTREAM_URL, and
 * BENCH_UPSTREAM_KEY for its X-API-Key. Samples alternate between the two servers.
 */
const UPSTREAM_URL = process.env.BENCH_UPSTREAM_URL;
const UPSTREAM_KEY = process.env.BENCH_UPSTREAM_KEY ?? '';

/** Upstream's Python provisioner, measured beside ours on one control plane (issue #12's run, p50 ms). */
const UPSTREAM_RECORDED = { create: 29.2, get: 5.4, delete: 25.8, 'list@200': 448.5, create32: 1154 };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

export async function benchProvisioner(): Promise<void> {
  const cluster = await up(() => {});
  const rows: (string | number)[][] = [];
  const ours: Record<string, number> = {};
  const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
  const { kc } = loadKubeConfig({ kubeconfigPath: cluster.kubeconfig });
  const barePool = new AgentPool();
  const bare = makeApiClient(kc, CoreV1Api, barePool);

  for (const size of SIZES) {
    const namespace = `bench-${size}-${Date.now().toString(36)}`;
    const env = { KUBECONFIG_PATH: cluster.kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0' };
    const config = loadConfig(env);
    const api = await startProvisioner(env, () => {});
    const postTo = (base: string, id: string, key = '') =>
      fetch(`${base}/api/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
        body: JSON.stringify({ sandbox_id: id }),
      }).then((r) => r.json());
    const post = (id: string) => postTo(api.url, id);
    const up = UPSTREAM_URL
      ? {
          post: (id: string) => postTo(UPSTREAM_URL, id, UPSTREAM_KEY),
          get: (path: string, method = 'GET') =>
            fetch(`${UPSTREAM_URL}${path}`, { method, headers: { 'x-api-key': UPSTREAM_KEY } }).then((r) => r.json()),
        }
      : undefined;
    try {
      log(`${size} sandboxes present: populating…`);
      await pool(
        Array.from({ length: size }, (_, i) => `pre-${i}`),
        16,
        (id) => post(id),
      );
      // Upstream's namespace gets the same number (it keeps what earlier sizes made).
      if (up)
        await pool(
          Array.from({ length: size }, (_, i) => `pre-${i}`),
          8,
          (id) => up.post(id),
        );
      while (!api.cache.synced) await new Promise((r) => setTimeout(r, 50));

      const sample = async (op: (i: number) => Promise<unknown>) => {
        const ms: number[] = [];
        for (let i = 0; i < SAMPLES; i++) ms.push((await timed(() => op(i)))[1]);
        return ms;
      };
      const row = async (
        name: string,
        op: (i: number) => Promise<unknown>,
        limit: ((i: number) => Promise<unknown>) | undefined,
        upstreamOp?: (i: number) => Promise<unknown>,
      ) => {
        let calls = 0;
        const ms: number[] = [];
        const upMs: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          const before = api.provisioner.apiCalls;
          ms.push((await timed(() => op(i)))[1]);
          calls += api.provisioner.apiCalls - before;
          if (upstreamOp) upMs.push((await timed(() => upstreamOp(i)))[1]);
        }
        const lim = limit ? percentile(await sample(limit), 50) : Number.NaN;
        const p50 = percentile(ms, 50);
        const upP50 = upstreamOp ? percentile(upMs, 50) : Number.NaN;
        rows.push([size, name, p50, percentile(ms, 99), calls / SAMPLES, lim, limit ? p50 / lim : Number.NaN, upP50, upP50 / p50]);
        return p50;
      };
      const podOf = (id: string) => buildPod(config, { sandboxId: id, threadId: id, userId: 'default' });

      const tag = `${size}-${Date.now().toString(36)}`;
      ours[`create@${size}`] = await row(
        'create',
        (i) => post(`new-${i}`),
        (i) =>
          Promise.all([
            bare.createNamespacedPod({ namespace, body: podOf(`raw-${i}`) }),
            bare.createNamespacedService({ namespace, body: buildService(config, `raw-${i}`) }),
          ]),
        up && ((i) => up.post(`new-${tag}-${i}`)),
      );
      await row('create (exists)', (i) => post(`new-${i}`), undefined, up && ((i) => up.post(`new-${tag}-${i}`)));
      const pre = (i: number) => `pre-${i % Math.max(1, size)}`;
      ours[`get@${size}`] = await row(
        'get',
        (i) => fetch(`${api.url}/api/sandboxes/${pre(i)}`).then((r) => r.json()),
        (i) => bare.readNamespacedPod({ namespace, name: `sandbox-${pre(i)}` }),
        up && ((i) => up.get(`/api/sandboxes/${pre(i)}`)),
      );
      ours[`list@${size}`] = await row(
        'list',
        () => fetch(`${api.url}/api/sandboxes`).then((r) => r.json()),
        () => bare.listNamespacedService({ namespace, labelSelector: 'app=deer-flow-sandbox' }),
        up && (() => up.get('/api/sandboxes')),
      );
      ours[`delete@${size}`] = await row(
        'delete',
        (i) => fetch(`${api.url}/api/sandboxes/new-${i}`, { method: 'DELETE' }).then((r) => r.json()),
        (i) =>
          Promise.all([
            bare.deleteNamespacedService({ namespace, name: `sandbox-raw-${i}-svc` }),
            bare.deleteNamespacedPod({ namespace, name: `sandbox-raw-${i}` }),
          ]),
        up && ((i) => up.get(`/api/sandboxes/new-${tag}-${i}`, 'DELETE')),
      );

      if (size === SIZES[0]) {
        log('32 concurrent creates…');
        const [, ms] = await timed(() => Promise.all(Array.from({ length: 32 }, (_, i) => post(`burst-${i}`))));
        ours.create32 = ms;
        const upMs = up
          ? (await timed(() => Promise.all(Array.from({ length: 32 }, (_, i) => up.post(`burst-${tag}-${i}`)))))[1]
          : Number.NaN;
        rows.push([size, '32 creates at once (total)', ms, Number.NaN, 2, Number.NaN, Number.NaN, upMs, upMs / ms]);
        log(`RSS over ${RSS_REQUESTS} requests…`);
        // After a full collection each time: without it RSS only shows how lazy the collector is.
        const mem = () => {
          const heap = heapMb();
          return `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}/${heap.toFixed(0)}`;
        };
        const marks: string[] = [mem()];
        for (let i = 0; i < RSS_REQUESTS; i++) {
          await fetch(`${api.url}/api/sandboxes/burst-${i % 32}`).then((r) => r.arrayBuffer());
          if ((i + 1) % (RSS_REQUESTS / 4) === 0) marks.push(mem());
        }
        console.log(`\nRSS/heap of this process (server and client, after GC) over ${RSS_REQUESTS} gets, MiB: ${marks.join(' → ')}`);
      }
      if (size >= 1000) {
        // A second watch of the same namespace, alone, measured in the heap.
        const before = heapMb();
        const cache = new SandboxWatchCache(kc, makeApiClient(kc, CoreV1Api, new AgentPool()), namespace, () => {});
        void cache.start();
        while (!cache.synced) await new Promise((r) => setTimeout(r, 50));
        const after = heapMb();
        await cache.stop();
        console.log(
          `\nwatch cache of ${size} sandboxes (Pods + Services): ${(after - before).toFixed(1)} MiB of heap, ${(((after - before) / size) * 1000).toFixed(1)} MiB per 1,000`,
        );
      }
    } finally {
      await api.close();
      await bare.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }
  barePool.destroy();

  console.log(
    '\nProvisioner API (HTTP, against the test control plane; times in ms; limit = the same calls straight on a kept-alive connection)\n',
  );
  console.log(
    table(['present', 'operation', 'p50', 'p99', 'k8s calls/op', 'limit p50', 'ours/limit', 'upstream p50', 'upstream/ours'], rows),
  );
  if (UPSTREAM_URL) return;
  const small = SIZES[0];
  const at200 = SIZES.includes(200) ? 200 : SIZES.at(-1);
  const vs = (name: string, oursMs: number | undefined, upstream: number) =>
    [name, oursMs ?? Number.NaN, upstream, oursMs ? upstream / oursMs : Number.NaN] as (string | number)[];
  console.log(
    '\nNo upstream provisioner was measured in this run (set BENCH_UPSTREAM_URL). Its p50s as recorded side by side in issue #12, on another run of this machine type (ratio = how many times faster ours is):\n',
  );
  console.log(
    table(
      ['operation', 'ours p50', 'upstream p50', 'upstream/ours'],
      [
        vs('create', ours[`create@${small}`], UPSTREAM_RECORDED.create),
        vs('get', ours[`get@${small}`], UPSTREAM_RECORDED.get),
        vs('delete', ours[`delete@${small}`], UPSTREAM_RECORDED.delete),
        vs(`list@${at200}`, ours[`list@${at200}`], UPSTREAM_RECORDED['list@200']),
        vs('32 creates at once', ours.create32, UPSTREAM_RECORDED.create32),
      ],
    ),
  );
}
