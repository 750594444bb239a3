// The desk's area services without a cluster: migrations of a local folder (checks before any
// work, the plan and guard of a scan, a run as a job with its report, a second run refused by
// the lock) and the local-cluster actions that need no tool (the container kubeconfig export's
// checks, names kind refuses, loading an image into a cluster that is not kind or minikube).

import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobRegistry } from '../../app/desk/jobs.js';
import { DeskLocalClusters } from '../../app/desk/local-clusters.js';
import { DeskMigrations } from '../../app/desk/migrations.js';
import { AppError } from '../../app/errors.js';
import { jobFinished } from '../support/jobs.js';
import { kubeConfigAt } from '../support/kubeconfigs.js';
import { makeLegacyTree } from '../support/legacy-tree.js';

const finished = jobFinished;

function migrations() {
  const jobs = new JobRegistry();
  const service = new DeskMigrations({
    jobs,
    kubeConfig: () => {
      throw new Error('no cluster in these tests');
    },
    namespace: () => 'deer-flow',
    guard: async () => ({ state: 'clear' }),
    log: () => {},
  });
  return { jobs, service };
}

const fieldOf = (e: unknown) => (e instanceof AppError ? Object.fromEntries(e.fields.map((f) => [f.field, f.message])) : {});

describe('DeskMigrations', () => {
  it('refuses a bad user id and a base folder that is missing, a file or a link, on their fields', async () => {
    const { service } = migrations();
    const real = mkdtempSync(join(tmpdir(), 'spd-dm-'));
    writeFileSync(join(real, 'file'), 'x');
    symlinkSync(real, `${real}-link`);
    const local = (baseDir: string) => ({ source: { kind: 'local' as const, baseDir }, userId: 'default' });
    expect(fieldOf(await service.scan({ ...local(real), userId: '../x' }).catch((e: unknown) => e))).toHaveProperty('userId');
    for (const [dir, why] of [
      [join(real, 'missing'), /does not exist/],
      [join(real, 'file'), /is not a folder/],
      [`${real}-link`, /is a symbolic link/],
      ['relative', /not an absolute path/],
    ] as const)
      expect(fieldOf(await service.scan(local(dir)).catch((e: unknown) => e)).source).toMatch(why);
  });

  it('scans to a plan with the guard, runs as a job to a report saved beside the data; a second run at once is refused', async () => {
    const { jobs, service } = migrations();
    const base = mkdtempSync(join(tmpdir(), 'spd-dm-'));
    makeLegacyTree(base, { threads: 30, filesPerThread: 2 });
    const request = { source: { kind: 'local' as const, baseDir: base }, userId: 'alice' };
    const view = await service.scan(request);
    expect(view.plan.totals.threads).toBe(30);
    expect(view.guard).toEqual({ ok: true });
    const first = service.run(request);
    const second = service.run(request);
    const [a, b] = await Promise.all([finished(jobs, first.id), finished(jobs, second.id)]);
    const done = [a, b].find((j) => j.state === 'done');
    const refused = [a, b].find((j) => j.state === 'failed');
    expect(refused?.error).toMatch(/another migration of .* is running/);
    expect(done?.kind === 'migration' && done.result && 'report' in done.result).toBe(true);
    if (done?.kind === 'migration' && done.result && 'report' in done.result) {
      expect(done.result.report.ok).toBe(true);
      expect(JSON.parse(readFileSync(done.result.reportFile, 'utf8')).userId).toBe('alice');
    }
    const again = service.run(request);
    expect((await finished(jobs, again.id)).result).toEqual({ nothingToDo: true });
  });
});

function localClusters(context = 'kind-deer-flow') {
  const kc = kubeConfigAt('https://127.0.0.1:6443', { context, token: 'secret-token' });
  return new DeskLocalClusters({
    jobs: new JobRegistry(),
    connection: () => ({ kc, context }),
    sandboxImage: () => 'sandbox:1',
    applySettings: () => {},
    useContext: async () => {
      throw new Error('not in these tests');
    },
    clustersChanged: () => {},
  });
}

describe('DeskLocalClusters', () => {
  it('exports the container kubeconfig privately, checking path, folder and host on their fields', () => {
    const service = localClusters();
    const dir = mkdtempSync(join(tmpdir(), 'spd-dlc-'));
    const path = join(dir, 'kc');
    const out = service.exportContainerKubeconfig({ path });
    expect(out).toMatchObject({ path, apiServer: 'https://host.docker.internal:6443' });
    expect(JSON.stringify(out)).not.toContain('secret-token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const err = (body: Parameters<typeof service.exportContainerKubeconfig>[0]) => {
      try {
        service.exportContainerKubeconfig(body);
        return {};
      } catch (e) {
        return fieldOf(e);
      }
    };
    expect(err({ path })).toEqual({ path: expect.stringMatching(/exists; choose another file or allow replacing it/) });
    expect(err({ path: 'relative' })).toEqual({ path: 'path must be an absolute path' });
    expect(err({ path: join(dir, 'no', 'kc') })).toEqual({ path: expect.stringMatching(/does not exist; create it first/) });
    expect(err({ path: join(dir, 'kc2'), host: 'a..b' })).toEqual({ host: expect.stringMatching(/host name/) });
  });

  it('refuses a name kind would refuse, and loading an image into a cluster that is not kind or minikube', () => {
    expect(() => localClusters().deleteKind('Bad_Name')).toThrow(/name/);
    expect(() => localClusters('docker-desktop').loadImage()).toThrow(/not a kind or minikube cluster/);
  });
});
