// Benchmark of the provisioner API against the test control plane. For each number of
// sandboxes present: create, get, list and delete through our HTTP API (p50/p99, Kubernetes
// calls per operation), beside "the limit": the API server's own time for the same calls made
// straight on a kept-alive connection, in the same pattern ours makes them (create: the Pod,
// then its Service owned by it; delete: one DELETE of the Pod; get: one read, though ours
// reads the watch), and upstream's own provisioner on the same control plane. Then 32-way
// concurrent creates, the watch cache's memory per 1,000 sandboxes, and RSS over 10,000
// requests. Prints numbers and ratios; never a pass/fail verdict.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CoreV1Api } from '@kubernetes/client-node';
import { type ClusterState, up } from '../test/cluster/control-plane.js';
import { startOurs, startUpstream } from './servers.js';
import {
  AgentPool,
  buildPod,
  buildService,
  loadConfig,
  loadKubeConfig,
  makeApiClient,
  makeCoreApi,
  SandboxWatchCache,
  startProvisioner,
} from './shipped.js';
import { cpuMs, percentile, pool, table, timed } from './stats.js';

const SIZES = (process.env.BENCH_SIZES ?? '1,200,1000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const BURST_ROUNDS = Number(process.env.BENCH_BURST_ROUNDS ?? 5);
const RSS_REQUESTS = Number(process.env.BENCH_RSS_REQUESTS ?? 10_000);
/**
 * Upstream's provisioner, measured beside ours in the same run against the same control plane
 * (its own namespace), samples alternating: started here from bench/upstream/app.py unless
 * BENCH_UPSTREAM=off, or one already running at BENCH_UPSTREAM_URL (BENCH_UPSTREAM_KEY).
 */
const UPSTREAM_URL = process.env.BENCH_UPSTREAM_URL;
const UPSTREAM_KEY = process.env.BENCH_UPSTREAM_KEY ?? '';
const UPSTREAM_OFF = process.env.BENCH_UPSTREAM === 'off';

/** Upstream's Python provisioner, measured beside ours on one control plane (issue #12's run, p50 ms). */
const UPSTREAM_RECORDED = { create: 29.2, get: 5.4, delete: 25.8, 'list@200': 448.5, create32: 1154 };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/**
 * CPU time of each process of the run, summed over the intervals measured: the control plane's
 * components (by the pids it recorded), this process (the benchmark's client), ours and upstream's.
 * An interval runs until the machine is quiet again (`settle`), so that what a side's creates
 * leave behind (the scheduler's bindings, kwok's status writes, EndpointSlices) counts as theirs,
 * less what the processes burn when idle (leases, heartbeats), measured once by `calibrate`.
 */
class CpuTally {
  static readonly parts = [
    'kube-apiserver',
    'etcd',
    'controllers, scheduler, kwok',
    'benchmark client',
    'ours (node)',
    'upstream (python)',
  ];
  private readonly sums = CpuTally.parts.map(() => 0);
  private elapsedMs = 0;
  static pids: { cluster?: ClusterState; ours?: number; upstream?: number } = {};
  /** CPU ms per wall ms of each part when nothing is asked of it. */
  private static idle = CpuTally.parts.map(() => 0);

  private static now(): number[] {
    const c = CpuTally.pids.cluster?.components;
    const ms = (pid: number | undefined) => (pid ? cpuMs(pid) : 0);
    const usage = process.cpuUsage();
    return [
      ms(c?.['kube-apiserver'].pid),
      ms(c?.etcd.pid),
      ms(c?.['kube-controller-manager'].pid) + ms(c?.['kube-scheduler'].pid) + ms(c?.kwok.pid),
      (usage.user + usage.system) / 1000,
      ms(CpuTally.pids.ours),
      ms(CpuTally.pids.upstream),
    ];
  }

  /** Every process but this one (the benchmark's client), in CPU ms so far: what `settle` waits on. */
  private static others(): number {
    const self = CpuTally.parts.indexOf('benchmark client');
    return CpuTally.now().reduce((sum, ms, i) => (i === self ? sum : sum + ms), 0);
  }

  /**
   * Waits until the other processes use less than 15 % of a core over `windowMs` (idle, the
   * control plane uses about 6 %), at most `maxMs`: a write that starts on the tail of the one
   * before (kwok's status writes, the garbage collector) pays for it.
   */
  static async settle(windowMs = 500, maxMs = 15_000): Promise<void> {
    const start = performance.now();
    let before = CpuTally.others();
    while (performance.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, windowMs));
      const now = CpuTally.others();
      if (now - before < 0.15 * windowMs) break;
      before = now;
    }
  }

  /** Measures the idle rate (call when the machine is quiet). */
  static async calibrate(ms = 3000): Promise<void> {
    await CpuTally.settle();
    const before = CpuTally.now();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const wall = performance.now() - t;
    // Not this process's: it has no background work, and what it finished during the
    // calibration (a collection, closing sockets) taken as its idle rate zeroed its bursts' figure.
    const self = CpuTally.parts.indexOf('benchmark client');
    CpuTally.idle = CpuTally.now().map((after, i) => (i === self ? 0 : Math.max(0, (after - (before[i] ?? 0)) / wall)));
  }

  /** Runs `fn` and then waits for the machine to settle, tallying both; returns `fn`'s value. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    const before = CpuTally.now();
    const t = performance.now();
    const v = await fn();
    await CpuTally.settle();
    this.elapsedMs += performance.now() - t;
    CpuTally.now().forEach((after, i) => {
      this.sums[i] = (this.sums[i] ?? 0) + after - (before[i] ?? 0);
    });
    return v;
  }

  perCreate(creates: number): number[] {
    return this.sums.map((ms, i) => Math.max(0, ms - (CpuTally.idle[i] ?? 0) * this.elapsedMs) / creates);
  }
}

/**
 * The median of a[i] / b[i]: samples taken in turn are compared pairwise, so that a drift of
 * the machine's load during the run (2 cores shared with the control plane) cancels out
 * instead of landing in one side's p50.
 */
function pairedRatio(a: number[], b: number[]): number {
  return percentile(a.map((x, i) => x / (b[i] ?? Number.NaN)).filter(Number.isFinite), 50);
}

/**
 * Runs `sides` one after another, starting at a different one each `turn`: a write leaves work
 * behind it in the control plane (scheduling, the garbage collector deleting an owned Service)
 * that lands on whichever request comes next, and in a fixed order ours always came after the
 * limit's.
 */
async function takeTurns(sides: (() => Promise<unknown>)[], turn: number): Promise<void> {
  for (let k = 0; k < sides.length; k++) await (sides[(turn + k) % sides.length] as () => Promise<unknown>)();
}

/** A provisioner API client (ours or upstream's): JSON answers, the API key on every request. */
function client(base: string, key: string) {
  const headers = { 'x-api-key': key };
  return {
    post: (id: string) =>
      fetch(`${base}/api/sandboxes`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ sandbox_id: id }),
      }).then((r) => r.json()),
    get: (path: string, method = 'GET') => fetch(`${base}${path}`, { method, headers }).then((r) => r.json()),
  };
}

export async function benchProvisioner(): Promise<void> {
  const cluster = await up(() => {});
  const rows: (string | number)[][] = [];
  const oursP50: Record<string, number> = {};
  const upstreamP50: Record<string, number> = {};
  /** Upstream's time over ours, the median of the paired samples (see pairedRatio). */
  const upstreamRatio: Record<string, number> = {};
  const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
  const { kc } = loadKubeConfig({ kubeconfigPath: cluster.kubeconfig });
  const barePool = new AgentPool();
  // The limit's client is the leanest we have: the hot writes as plain JSON (what ours sends),
  // so that no client-side cost of the library's (about 2 ms of CPU a create) counts as the API server's.
  const bare = makeCoreApi(kc, barePool);
  const upstreamNamespace = `bench-upstream-${Date.now().toString(36)}`;
  const started = UPSTREAM_URL || UPSTREAM_OFF ? undefined : await startUpstream(cluster.kubeconfig, upstreamNamespace, log);
  const upstream = UPSTREAM_URL ? { url: UPSTREAM_URL, key: UPSTREAM_KEY } : started;
  CpuTally.pids = { cluster, upstream: started?.pid };

  for (const size of SIZES) {
    const namespace = `bench-${size}-${Date.now().toString(36)}`;
    const env = { KUBECONFIG_PATH: cluster.kubeconfig, K8S_NAMESPACE: namespace };
    const config = loadConfig(env);
    const server = await startOurs(env);
    CpuTally.pids.ours = server.pid;
    const ourClient = client(server.url, server.key);
    const post = ourClient.post;
    const up = upstream && client(upstream.url, upstream.key);
    /** Kubernetes requests our server has made so far for API requests, from its /metrics (its sweeps' are left out). */
    const k8sCalls = async () => {
      let n = 0;
      for (const m of (await server.metrics()).matchAll(/^sandbox_provisioner_kubernetes_request_seconds_count\{([^}]*)\} (\d+)$/gm))
        if (!m[1]?.includes('sweep)')) n += Number(m[2]);
      return n;
    };
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

      const row = async (
        name: string,
        op: (i: number) => Promise<unknown>,
        limit: ((i: number) => Promise<unknown>) | undefined,
        upstreamOp?: (i: number) => Promise<unknown>,
        /** A write: each sample starts once the machine is quiet again (a read leaves nothing behind). */
        write = false,
      ) => {
        const callsBefore = await k8sCalls();
        const ms: number[] = [];
        const upMs: number[] = [];
        const limMs: number[] = [];
        // Ours, upstream's and the limit in turn, so that a slow moment of the machine falls on all three.
        const side = (run: (i: number) => Promise<unknown>, times: number[]) => async (i: number) => {
          times.push((await timed(() => run(i)))[1]);
          if (write) await CpuTally.settle(200, 2000);
        };
        const sides = [side(op, ms), upstreamOp && side(upstreamOp, upMs), limit && side(limit, limMs)].filter((f) => f !== undefined);
        if (write) await CpuTally.settle();
        for (let i = 0; i < SAMPLES; i++)
          await takeTurns(
            sides.map((f) => () => f(i)),
            i,
          );
        const calls = (await k8sCalls()) - callsBefore;
        const lim = limit ? percentile(limMs, 50) : Number.NaN;
        const p50 = percentile(ms, 50);
        const upP50 = upstreamOp ? percentile(upMs, 50) : Number.NaN;
        const vsUpstream = upstreamOp ? pairedRatio(upMs, ms) : Number.NaN;
        rows.push([
          size,
          name,
          p50,
          percentile(ms, 99),
          calls / SAMPLES,
          lim,
          limit ? pairedRatio(ms, limMs) : Number.NaN,
          upP50,
          vsUpstream,
        ]);
        oursP50[`${name}@${size}`] = p50;
        upstreamP50[`${name}@${size}`] = upP50;
        upstreamRatio[`${name}@${size}`] = vsUpstream;
        return p50;
      };
      const podOf = (id: string) => buildPod(config, { sandboxId: id, threadId: id, userId: 'default' });
      // The limit: the same Kubernetes calls ours makes, straight on a kept-alive connection:
      // the Pod, then its Service owned by it; delete is one DELETE of the Pod by UID.
      const bareCreate = async (id: string) => {
        const pod = await bare.createNamespacedPod({ namespace, body: podOf(id) });
        await bare.createNamespacedService({ namespace, body: buildService(config, id, undefined, pod) });
        return pod;
      };
      const bareUids = new Map<string, string | undefined>();
      const bareDelete = (id: string) =>
        bare.deleteNamespacedPod({ namespace, name: `sandbox-${id}`, body: { preconditions: { uid: bareUids.get(id) } } });

      const tag = `${size}-${Date.now().toString(36)}`;
      await row(
        'create',
        (i) => post(`new-${i}`),
        async (i) => bareUids.set(`raw-${i}`, (await bareCreate(`raw-${i}`)).metadata?.uid),
        up && ((i) => up.post(`new-${tag}-${i}`)),
        true,
      );
      await row('create (exists)', (i) => post(`new-${i}`), undefined, up && ((i) => up.post(`new-${tag}-${i}`)));
      const pre = (i: number) => `pre-${i % Math.max(1, size)}`;
      await row(
        'get',
        (i) => ourClient.get(`/api/sandboxes/${pre(i)}`),
        (i) => bare.readNamespacedPod({ namespace, name: `sandbox-${pre(i)}` }),
        up && ((i) => up.get(`/api/sandboxes/${pre(i)}`)),
      );
      await row(
        'list',
        () => ourClient.get('/api/sandboxes'),
        () => bare.listNamespacedService({ namespace, labelSelector: 'app=deer-flow-sandbox' }),
        up && (() => up.get('/api/sandboxes')),
      );
      await row(
        'delete',
        (i) => ourClient.get(`/api/sandboxes/new-${i}`, 'DELETE'),
        (i) => bareDelete(`raw-${i}`),
        up && ((i) => up.get(`/api/sandboxes/new-${tag}-${i}`, 'DELETE')),
        true,
      );

      if (size === SIZES[0]) {
        log(`32 concurrent creates, ${BURST_ROUNDS} rounds…`);
        const burst = async (make: (id: string) => Promise<unknown>, prefix: string) =>
          (await timed(() => Promise.all(Array.from({ length: 32 }, (_, i) => make(`${prefix}-${i}`)))))[1];
        const oursMs: number[] = [];
        const upMs: number[] = [];
        const limitMs: number[] = [];
        // Where the CPU goes during each side's bursts (2 cores: every process competes).
        const cpuOurs = new CpuTally();
        const cpuUp = new CpuTally();
        const cpuLimit = new CpuTally();
        await CpuTally.calibrate();
        for (let round = 0; round < BURST_ROUNDS; round++) {
          // Each side starts on a quiet machine; its tally runs on until the machine is quiet again.
          await takeTurns(
            [
              async () => oursMs.push(await cpuOurs.during(() => burst(post, `burst-${round}`))),
              ...(up ? [async () => upMs.push(await cpuUp.during(() => burst(up.post, `burst-${tag}-${round}`)))] : []),
              async () =>
                limitMs.push(
                  await cpuLimit.during(() =>
                    burst(async (id) => bareUids.set(id, (await bareCreate(id)).metadata?.uid), `raw-burst-${round}`),
                  ),
                ),
            ],
            round,
          );
          // What one round made goes before the next (the last round's stay for the RSS gets).
          if (round === BURST_ROUNDS - 1) break;
          await pool(
            Array.from({ length: 32 }, (_, i) => i),
            8,
            async (i) => {
              await ourClient.get(`/api/sandboxes/burst-${round}-${i}`, 'DELETE');
              if (up) await up.get(`/api/sandboxes/burst-${tag}-${round}-${i}`, 'DELETE');
              await bareDelete(`raw-burst-${round}-${i}`);
            },
          );
          await CpuTally.settle();
        }
        const ms = percentile(oursMs, 50);
        const upP50 = up ? percentile(upMs, 50) : Number.NaN;
        const lim = percentile(limitMs, 50);
        oursP50.create32 = ms;
        upstreamP50.create32 = upP50;
        upstreamRatio.create32 = up ? pairedRatio(upMs, oursMs) : Number.NaN;
        const creates = 32 * BURST_ROUNDS;
        console.log(
          `\nCPU per create of the 32-way bursts, ms (${creates} creates each side; from each burst's start until the machine was quiet again, less the idle rate):`,
        );
        console.log(
          table(
            ['side', ...CpuTally.parts],
            [
              ['ours', ...cpuOurs.perCreate(creates)],
              ...(up ? [['upstream', ...cpuUp.perCreate(creates)]] : []),
              ['limit', ...cpuLimit.perCreate(creates)],
            ],
          ),
        );
        rows.push([
          size,
          `32 creates at once (total, median of ${BURST_ROUNDS})`,
          ms,
          Math.max(...oursMs),
          2,
          lim,
          pairedRatio(oursMs, limitMs),
          upP50,
          upstreamRatio.create32,
        ]);
        if (up)
          await pool(
            Array.from({ length: 32 }, (_, i) => i),
            8,
            (i) => up.get(`/api/sandboxes/burst-${tag}-${BURST_ROUNDS - 1}-${i}`, 'DELETE'),
          );
        // Memory over many requests, with a full collection at each mark (without it RSS
        // only shows how lazy the collector is): in this process, where the heap can be read.
        await server.stop();
        log(`RSS over ${RSS_REQUESTS} requests…`);
        const inProcess = await startProvisioner({ ...env, PROVISIONER_PORT: '0' }, () => {});
        while (!inProcess.cache.synced) await new Promise((r) => setTimeout(r, 50));
        const mem = () => {
          const heap = heapMb();
          return `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}/${heap.toFixed(0)}`;
        };
        const marks: string[] = [mem()];
        for (let i = 0; i < RSS_REQUESTS; i++) {
          await fetch(`${inProcess.url}/api/sandboxes/burst-${BURST_ROUNDS - 1}-${i % 32}`).then((r) => r.arrayBuffer());
          if ((i + 1) % (RSS_REQUESTS / 4) === 0) marks.push(mem());
        }
        await inProcess.close();
        console.log(`\nRSS/heap of a provisioner in this process (after GC) over ${RSS_REQUESTS} gets, MiB: ${marks.join(' → ')}`);
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
      await server.stop();
      await bare.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }
  barePool.destroy();
  if (started) {
    await started.stop();
    await bare.deleteNamespace({ name: upstreamNamespace }).catch(() => undefined);
  }

  console.log(
    '\nProvisioner API (HTTP, against the test control plane; times in ms; limit = the same calls straight on a kept-alive connection;\n' +
      'ratios are medians of the samples taken side by side, so that a slow moment of the machine counts on both sides)\n',
  );
  console.log(
    table(['present', 'operation', 'p50', 'p99', 'k8s calls/op', 'limit p50', 'ours/limit', 'upstream p50', 'upstream/ours'], rows),
  );
  const small = SIZES[0];
  const at200 = SIZES.includes(200) ? 200 : SIZES.at(-1);
  const measured = Boolean(upstream);
  const upstreamOf = (key: string, recorded: number) => (measured ? (upstreamP50[key] ?? Number.NaN) : recorded);
  const vs = (name: string, key: string, recorded: number, target: number) => {
    const o = oursP50[key] ?? Number.NaN;
    const u = upstreamOf(key, recorded);
    return [name, o, u, measured ? (upstreamRatio[key] ?? Number.NaN) : u / o, `${target}×`];
  };
  console.log(
    measured
      ? "\nAgainst upstream, measured in this run (issue #12's targets: how many times faster ours is):\n"
      : '\nNo upstream provisioner was measured in this run (it could not be started, or BENCH_UPSTREAM=off); against its p50s as recorded in issue #12 on another run of this machine type:\n',
  );
  console.log(
    table(
      ['operation', 'ours p50', 'upstream p50', 'upstream/ours', 'target'],
      [
        vs('create', `create@${small}`, UPSTREAM_RECORDED.create, 1.3),
        vs('get', `get@${small}`, UPSTREAM_RECORDED.get, 5),
        vs('delete', `delete@${small}`, UPSTREAM_RECORDED.delete, 1.3),
        vs(`list@${at200}`, `list@${at200}`, UPSTREAM_RECORDED['list@200'], 100),
        vs('32 creates at once', 'create32', UPSTREAM_RECORDED.create32, 1.3),
      ],
    ),
  );
}
