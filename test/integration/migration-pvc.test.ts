// The PVC backend end to end through the real API server: a helper Pod mounts a claim, and the
// planner's moves run as batched exec scripts. kwok runs the helper's commands in a local
// folder that stands for the claim's contents, so the result can be compared with the local
// backend on an identical tree (one planner, two backends, the same end state).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../app/migration/local-backend.js';
import { PvcBackend } from '../../app/migration/pvc-backend.js';
import { runMigration, scanAndPlan, withMigrationLock } from '../../app/migration/run.js';
import { undoLastRun } from '../../app/migration/undo.js';
import { createBoundClaim } from '../cluster/volumes.js';
import { backendContract } from '../support/backend-contract.js';
import { makeLegacyTree, snapshot, symlink, writeFile } from '../support/legacy-tree.js';
import { createTestNamespace, testKubeConfig, uniqueName, waitUntil, wirePodToFolder } from './helpers.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
let ns: { name: string; remove: () => Promise<void> };
const pvName = uniqueName('pv');
const clear = { force: false, guard: async () => ({ state: 'clear' as const }) };

function legacy(base: string) {
  makeLegacyTree(base, {
    threads: 300,
    filesPerThread: 3,
    owners: { 'thread-1': 'alice', 'thread-2': '../evil' },
    agents: ['Writer', 'writer'],
    skills: ['s1', '.history'],
    memory: true,
  });
  writeFile(base, 'users/default/threads/thread-3/kept.txt', 'newer');
  writeFile(base, 'threads/thread-4/user-data/it\'s "quoted" $HOME `x`.txt', 'shell-hostile name');
  writeFile(base, 'threads/thread-日本/ファイル.txt', 'unicode');
  symlink(base, 'threads/thread-5/user-data/outside', '/etc');
}

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'mig-pvc');
  await createBoundClaim(core, ns.name, 'deer-flow-data', pvName);
});

afterAll(async () => {
  await ns?.remove();
  await core.deletePersistentVolume({ name: pvName }).catch(() => undefined);
});

describe('PVC backend', () => {
  it('migrates a claim through a helper Pod to the same end state as the local backend, in few round trips', async () => {
    const claimDir = mkdtempSync(join(tmpdir(), 'spd-claim-'));
    legacy(join(claimDir, 'deer-flow'));
    await wirePodToFolder(kc, ns.name, 'mig-helper', [], claimDir);
    const backend = new PvcBackend(kc, { namespace: ns.name, claim: 'deer-flow-data', podName: 'mig-helper' });
    try {
      await backend.start();
      const db = await backend.fetchOwnerDb();
      const scan = await scanAndPlan(backend, 'default', db ? { file: db.path } : undefined);
      db?.cleanup();
      expect(scan.plan.leftInPlace.map((l) => l.path)).toEqual(['threads/thread-2']);
      const out = await runMigration(backend, scan, clear);
      expect(out.kind).toBe('done');
      if (out.kind === 'done') expect(out.report.verification).toMatchObject({ missing: [], sizeMismatch: [] });
    } finally {
      await backend.stop();
    }
    // 306 items, ~900 files: a handful of execs, not one per file or per thread (start-up, scan,
    // owner db, lock, journal, classify + move, verify, thread account, report, last run, archive).
    expect(backend.roundTrips).toBeLessThanOrEqual(15);

    const localDir = mkdtempSync(join(tmpdir(), 'spd-local-'));
    legacy(localDir);
    const local = new LocalBackend(localDir);
    await runMigration(local, await scanAndPlan(local, 'default', { baseDir: localDir }), clear);
    expect(snapshot(join(claimDir, 'deer-flow'))).toEqual(snapshot(localDir));

    // The helper Pod is gone.
    await waitUntil(
      'helper deleted',
      async () => (await core.listNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=mig-helper' })).items.length === 0,
    );

    // Running again through a new helper finds nothing to do.
    const again = new PvcBackend(kc, { namespace: ns.name, claim: 'deer-flow-data', podName: 'mig-helper-2' });
    await wirePodToFolder(kc, ns.name, 'mig-helper-2', [], claimDir);
    try {
      await again.start();
      const db = await again.fetchOwnerDb();
      expect((await runMigration(again, await scanAndPlan(again, 'default', db && { file: db.path }), clear)).kind).toBe('nothing-to-do');
      db?.cleanup();
    } finally {
      await again.stop();
    }
  });

  it('undoes a migration of a claim as the local backend does: the changed item left and named, the rest back', async () => {
    const claimDir = mkdtempSync(join(tmpdir(), 'spd-claim-undo-'));
    const base = join(claimDir, 'deer-flow');
    legacy(base);
    const original = snapshot(base);
    const withHelper = async <T>(name: string, fn: (b: PvcBackend) => Promise<T>): Promise<T> => {
      await wirePodToFolder(kc, ns.name, name, [], claimDir);
      const b = new PvcBackend(kc, { namespace: ns.name, claim: 'deer-flow-data', podName: name });
      try {
        await b.start();
        return await fn(b);
      } finally {
        await b.stop();
      }
    };
    await withHelper('undo-helper-1', async (b) => {
      const db = await b.fetchOwnerDb();
      const out = await runMigration(b, await scanAndPlan(b, 'default', db && { file: db.path }), { ...clear, verify: 'content' });
      db?.cleanup();
      expect(out.kind).toBe('done');
      // Each part of "ok" on its own, so that a failure shows which (and what) was off.
      if (out.kind === 'done') {
        expect({ verification: out.report.verification, unaccounted: out.report.threads.unaccounted }).toMatchObject({
          verification: { missing: [], sizeMismatch: [], contentMismatch: [] },
          unaccounted: [],
        });
        expect(out.report.ok).toBe(true);
      }
      // The helper's checksums are the local backend's, for files, odd names and links alike.
      const paths = [
        'users/default/threads/thread-0/user-data/outputs/file-0.txt',
        'users/default/threads/thread-4/user-data/it\'s "quoted" $HOME `x`.txt',
        'users/default/threads/thread-5/user-data/outside',
        'no/such/file',
      ];
      expect(await b.checksums(paths)).toEqual(await new LocalBackend(base).checksums(paths));
    });
    writeFile(base, 'users/default/threads/thread-0/after.txt', 'written after the migration');
    const first = await withHelper('undo-helper-2', (b) => withMigrationLock(b, () => undoLastRun(b, clear)));
    expect(first.kind).toBe('done');
    if (first.kind !== 'done') return;
    expect({ verification: first.report.verification, unaccounted: first.report.threads.unaccounted }).toMatchObject({
      verification: { missing: [], sizeMismatch: [] },
      unaccounted: [],
    });
    expect(first.report.ok).toBe(true);
    expect(first.report.left).toEqual([
      expect.objectContaining({ path: 'users/default/threads/thread-0', changes: ['users/default/threads/thread-0/after.txt (new)'] }),
    ]);
    expect(readFileSync(join(base, 'threads/thread-4/user-data/it\'s "quoted" $HOME `x`.txt'), 'utf8')).toBe('shell-hostile name');
    const rest = await withHelper('undo-helper-3', (b) => withMigrationLock(b, () => undoLastRun(b, { ...clear, withChanges: true })));
    expect(rest).toMatchObject({ kind: 'done', report: { ok: true, left: [] } });
    rmSync(join(base, 'threads/thread-0/after.txt'));
    expect(snapshot(base)).toEqual(original);
  });

  it('names a claim that does not exist before making a helper Pod (it would stay Pending)', async () => {
    const backend = new PvcBackend(kc, { namespace: ns.name, claim: 'no-such-claim', podName: 'mig-helper-bad', readyTimeoutMs: 3_000 });
    await expect(backend.start()).rejects.toThrow(/there is no PersistentVolumeClaim no-such-claim in namespace/);
    await backend.stop();
    await waitUntil(
      'helper deleted',
      async () => (await core.listNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=mig-helper-bad' })).items.length === 0,
    );
  });
});

backendContract('PVC through its helper Pod', async () => {
  const claimDir = mkdtempSync(join(tmpdir(), 'spd-contract-claim-'));
  mkdirSync(join(claimDir, 'deer-flow'));
  const podName = uniqueName('contract');
  await wirePodToFolder(kc, ns.name, podName, [], claimDir);
  const backend = new PvcBackend(kc, { namespace: ns.name, claim: 'deer-flow-data', podName });
  await backend.start();
  return { backend, base: join(claimDir, 'deer-flow'), close: () => backend.stop() };
});
