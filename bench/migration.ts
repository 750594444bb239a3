// Benchmark of the migration engine: a legacy tree of BENCH_THREADS threads × BENCH_FILES
// files, migrated with the local backend and with the PVC backend (helper Pod + exec through
// the test control plane; kwok runs the commands in a local folder standing for the claim).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../app/kube/kubeconfig.js';
import type { MigrationBackend } from '../app/migration/backend.js';
import { LocalBackend } from '../app/migration/local-backend.js';
import { PvcBackend } from '../app/migration/pvc-backend.js';
import { runMigration, scanAndPlan } from '../app/migration/run.js';
import { up } from '../test/cluster/control-plane.js';
import { wireExec } from '../test/cluster/kwok.js';
import { createBoundClaim } from '../test/cluster/volumes.js';
import { makeLegacyTree } from '../test/support/legacy-tree.js';
import { table, timed } from './stats.js';

const THREADS = Number(process.env.BENCH_THREADS ?? 10_000);
const FILES = Number(process.env.BENCH_FILES ?? 10);
const ROOT = process.env.BENCH_DIR ?? tmpdir();

async function migrate(backend: MigrationBackend, ownerDb?: { baseDir: string }) {
  const scan = await scanAndPlan(backend, 'default', ownerDb);
  const out = await runMigration(backend, scan, { force: true, guard: async () => ({ state: 'clear' }) });
  if (out.kind !== 'done' || !out.report.ok) throw new Error(`migration did not finish cleanly: ${JSON.stringify(out).slice(0, 300)}`);
  return out.report.verification.files;
}

export async function benchMigration(): Promise<void> {
  const root = mkdtempSync(join(ROOT, 'spd-bench-mig-'));
  const rows: (string | number)[][] = [];
  try {
    process.stderr.write(`[bench] writing a legacy tree of ${THREADS} threads × ${FILES} files in ${root}…\n`);
    const template = join(root, 'template');
    makeLegacyTree(template, { threads: THREADS, filesPerThread: FILES, memory: true, agents: ['a', 'B'], skills: ['s'] });

    const localDir = join(root, 'local');
    execFileSync('cp', ['-a', template, localDir]);
    const [files, ms] = await timed(() => migrate(new LocalBackend(localDir), { baseDir: localDir }));
    rows.push(['local folder', THREADS, files, ms / 1000, files / (ms / 1000), '-']);

    process.stderr.write('[bench] PVC backend through the test control plane…\n');
    const cluster = await up(() => {});
    const kc = loadKubeConfig({ kubeconfigPath: cluster.kubeconfig }).kc;
    const core = kc.makeApiClient(CoreV1Api);
    const ns = `bench-mig-${Date.now().toString(36)}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const pv = `${ns}-pv`;
    try {
      await createBoundClaim(core, ns, 'data', pv);
      const claimDir = join(root, 'claim');
      execFileSync('mkdir', ['-p', claimDir]);
      execFileSync('cp', ['-a', template, join(claimDir, 'deer-flow')]);
      await wireExec(kc, ns, 'bench-helper', claimDir);
      const backend = new PvcBackend(kc, { namespace: ns, claim: 'data', podName: 'bench-helper' });
      await backend.start();
      try {
        const [pvcFiles, pvcMs] = await timed(() => migrate(backend));
        rows.push(['PVC (helper Pod + exec)', THREADS, pvcFiles, pvcMs / 1000, pvcFiles / (pvcMs / 1000), backend.roundTrips]);
      } finally {
        await backend.stop();
      }
    } finally {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
      await core.deletePersistentVolume({ name: pv }).catch(() => undefined);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`\nMigration (scan + plan + journal + moves + verify; tree in ${ROOT})\n`);
  console.log(table(['backend', 'threads', 'files', 'seconds', 'files/s', 'exec round trips'], rows));
  console.log('\nTargets: local under 5 s and PVC under 30 s for 10,000 threads / 100,000 files.');
}
