// Benchmark of the provisioner API against the test control plane: create, get, list and
// delete latency (p50/p99) with 1, 100 and 1,000 sandboxes present, the Kubernetes requests
// each operation makes, and create's time relative to the bare API round trips it needs.
import { CoreV1Api } from '@kubernetes/client-node';
import { loadConfig } from '../app/config/config.js';
import { loadKubeConfig } from '../app/kube/kubeconfig.js';
import { buildPod, buildService } from '../app/sandbox/specs.js';
import { startProvisioner } from '../app/server/serve.js';
import { up } from '../test/cluster/control-plane.js';
import { percentile, pool, table, timed } from './stats.js';

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);

export async function benchProvisioner(): Promise<void> {
  const cluster = await up(() => {});
  const rows: (string | number)[][] = [];
  let rawPairP50 = 0;
  let createP50AtSmallest = 0;

  for (const size of SIZES) {
    const namespace = `bench-${size}-${Date.now().toString(36)}`;
    const config = loadConfig({ KUBECONFIG_PATH: cluster.kubeconfig, K8S_NAMESPACE: namespace, PROVISIONER_PORT: '0' });
    const api = await startProvisioner(config, () => {});
    const core = loadKubeConfig({ kubeconfigPath: cluster.kubeconfig }).kc.makeApiClient(CoreV1Api);
    const post = (id: string) =>
      fetch(`${api.url}/api/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sandbox_id: id }),
      }).then((r) => r.json());
    try {
      process.stderr.write(`[bench] ${size} sandboxes present: populating…\n`);
      await pool(
        Array.from({ length: size }, (_, i) => `pre-${i}`),
        16,
        (id) => post(id),
      );

      const measure = async (name: string, op: (i: number) => Promise<unknown>) => {
        const before = api.provisioner.apiCalls;
        const ms: number[] = [];
        for (let i = 0; i < SAMPLES; i++) ms.push((await timed(() => op(i)))[1]);
        const calls = (api.provisioner.apiCalls - before) / SAMPLES;
        rows.push([size, name, percentile(ms, 50), percentile(ms, 99), calls]);
        return percentile(ms, 50);
      };

      // The bare round trips a create needs: create Pod, then create Service, straight to the API server.
      if (size === SIZES[0]) {
        const raw: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          const id = `raw-${i}`;
          raw.push(
            (
              await timed(async () => {
                await core.createNamespacedPod({ namespace, body: buildPod(config, { sandboxId: id, threadId: id, userId: 'default' }) });
                await core.createNamespacedService({ namespace, body: buildService(config, id) });
              })
            )[1],
          );
        }
        rawPairP50 = percentile(raw, 50);
        rows.push([size, 'bare Pod+Service (reference)', rawPairP50, percentile(raw, 99), 2]);
      }
      const createP50 = await measure('create', (i) => post(`new-${i}`));
      if (size === SIZES[0]) createP50AtSmallest = createP50;
      await measure('create (existing)', (i) => post(`new-${i}`));
      await measure('get', (i) => fetch(`${api.url}/api/sandboxes/pre-${i % Math.max(1, size)}`).then((r) => r.json()));
      await measure('list', () => fetch(`${api.url}/api/sandboxes`).then((r) => r.json()));
      await measure('delete', (i) => fetch(`${api.url}/api/sandboxes/new-${i}`, { method: 'DELETE' }).then((r) => r.json()));
    } finally {
      await api.close();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }

  console.log('\nProvisioner API (HTTP, against the test control plane; times in ms)\n');
  console.log(table(['present', 'operation', 'p50', 'p99', 'k8s calls/op'], rows));
  if (rawPairP50 > 0) {
    console.log(`\ncreate p50 / bare Pod+Service round trips p50 = ${(createP50AtSmallest / rawPairP50).toFixed(2)}× (target ≤ 1.5×)`);
  }
}
