// The CLI as a user runs it: serve's start-up errors, migrate's plan output, --json, asking
// before moving, exit codes; the cluster helpers' output and refusals.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildKindConfig } from '../../app/cluster/kind-config.js';
import { hermeticPath } from '../support/hermetic-path.js';
import { makeLegacyTree, snapshot } from '../support/legacy-tree.js';

const home = mkdtempSync(join(tmpdir(), 'spd-home-'));
function cli(...args: string[]) {
  return cliWith({}, ...args);
}
function cliWith(extraEnv: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/main.ts', ...args], {
    env: { ...process.env, HOME: home, KUBECONFIG: '', KUBECONFIG_PATH: join(home, 'none'), ...extraEnv },
    timeout: 30_000,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tree = () => {
  const base = mkdtempSync(join(tmpdir(), 'spd-cli-'));
  makeLegacyTree(base, { threads: 3, filesPerThread: 1, memory: true });
  return base;
};

describe('sandbox-provisioner migrate', () => {
  it('--dry-run prints the plan and changes nothing (exit 0)', () => {
    const base = tree();
    const before = snapshot(base, []);
    const r = cli('migrate', '--base-dir', base, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('move     threads/thread-0 -> users/default/threads/thread-0');
    expect(r.stdout).toContain('3 thread(s)');
    expect(snapshot(base, [])).toEqual(before);
  });

  it('--dry-run --json gives the plan as JSON', () => {
    const r = cli('migrate', '--base-dir', tree(), '--dry-run', '--json', '--user-id', 'alice');
    const parsed = JSON.parse(r.stdout) as { plan: { userId: string; totals: { threads: number } } };
    expect(parsed.plan).toMatchObject({ userId: 'alice', totals: { threads: 3 } });
  });

  it('without --yes and without a terminal, asks nothing, changes nothing and exits 1', () => {
    const base = tree();
    const before = snapshot(base, []);
    const r = cli('migrate', '--base-dir', base, '--force');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('run with --yes');
    expect(snapshot(base, [])).toEqual(before);
  });

  it('refuses when no cluster can be asked about running sandboxes, unless --force (exit 1)', () => {
    const base = tree();
    const r = cli('migrate', '--base-dir', base, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Refused: cannot check for running sandboxes.*--force/);
    expect(existsSync(join(base, 'threads/thread-0'))).toBe(true);
  });

  it('with no kubeconfig at all there is no cluster to check: it migrates, and says so as a note (exit 0)', () => {
    const base = tree();
    const r = cliWith({ KUBECONFIG_PATH: '' }, 'migrate', '--base-dir', base, '--yes', '--json');
    expect(r.code).toBe(0);
    const report = (JSON.parse(r.stdout) as { report: { warnings: string[] } }).report;
    expect(report.warnings[0]).toMatch(/no kubeconfig on this machine, so no cluster to check/);
  });

  it('--undo puts the migration back (exit 0); a second --undo has nothing to do (exit 0)', () => {
    const base = tree();
    const before = snapshot(base);
    const run = cli('migrate', '--base-dir', base, '--yes', '--force');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('threads: 3 of 3 accounted for — default 3; 0 in migration-conflicts/; 0 left in place');
    const r = cli('migrate', '--base-dir', base, '--undo', '--yes', '--force');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Undo of the migration started .* finished: .*\n {2}put back 4, left where the migration put them 0/);
    expect(snapshot(base)).toEqual(before);
    const again = cli('migrate', '--base-dir', base, '--undo', '--yes', '--force');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Nothing to undo: the last migration .* was undone already/);
  });

  it('--undo leaves an item changed since the migration and exits 3; --with-changes takes it back too (exit 0)', () => {
    const base = tree();
    expect(cli('migrate', '--base-dir', base, '--yes', '--force').code).toBe(0);
    writeFileSync(join(base, 'users/default/threads/thread-0/new.txt'), 'after');
    const r = cli('migrate', '--base-dir', base, '--undo', '--yes', '--force');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /LEFT +users\/default\/threads\/thread-0 \(was threads\/thread-0\).*\n +users\/default\/threads\/thread-0\/new.txt \(new\)/,
    );
    expect(existsSync(join(base, 'users/default/threads/thread-0/new.txt'))).toBe(true);
    expect(existsSync(join(base, 'threads/thread-1'))).toBe(true);
    const rest = cli('migrate', '--base-dir', base, '--undo', '--with-changes', '--yes', '--force');
    expect(rest.code).toBe(0);
    expect(readFileSync(join(base, 'threads/thread-0/new.txt'), 'utf8')).toBe('after');
    expect(existsSync(join(base, 'users'))).toBe(false);
  });

  it('migrates with --yes --force (exit 0), then has nothing to do (exit 0)', () => {
    const base = tree();
    const r = cli('migrate', '--base-dir', base, '--yes', '--force', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { report: { ok: boolean } }).report.ok).toBe(true);
    expect(existsSync(join(base, 'users/default/threads/thread-2'))).toBe(true);
    expect(cli('migrate', '--base-dir', base, '--yes', '--force').code).toBe(0);
  });

  it('a stray file in threads/ is a note: the run and its dry run exit 0', () => {
    const base = tree();
    writeFileSync(join(base, 'threads', 'notes.txt'), 'not a thread');
    expect(cli('migrate', '--base-dir', base, '--dry-run').code).toBe(0);
    const r = cli('migrate', '--base-dir', base, '--yes', '--force', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { report: { leftInPlace: { path: string }[] } }).report.leftInPlace).toEqual([
      { path: 'threads/notes.txt', reason: 'a file, not a thread folder' },
    ]);
  });

  it('an owner that is not a valid user id needs the user: exit 3, the run and its dry run alike, the rest moved', () => {
    const base = mkdtempSync(join(tmpdir(), 'spd-cli-'));
    makeLegacyTree(base, { threads: 2, filesPerThread: 1, owners: { 'thread-1': '../evil' } });
    expect(cli('migrate', '--base-dir', base, '--dry-run').code).toBe(3);
    expect(cli('migrate', '--base-dir', base, '--yes', '--force').code).toBe(3);
    expect(existsSync(join(base, 'users/default/threads/thread-0'))).toBe(true);
    expect(existsSync(join(base, 'threads/thread-1'))).toBe(true);
  });

  it('--help documents the exit status', () => {
    expect(cli('migrate', '--help').stdout).toMatch(/Exit status: 0 done .* 3 done, but data was left that needs you/s);
  });

  it.each([
    [['migrate'], /exactly one of --base-dir DIR or --pvc CLAIM/],
    [['migrate', '--base-dir', '/x', '--pvc', 'c'], /exactly one/],
    [['migrate', '--base-dir', '/x', '--user-id', '../root'], /--user-id "..\/root" is not valid/],
    [['migrate', '--no-such-flag'], /unknown option/],
    [['migrate', '--base-dir', '/x', '--with-changes'], /--with-changes goes with --undo/],
    [['migrate', '--base-dir', '/x', '--undo', '--dry-run'], /--undo has no dry run/],
  ])('bad usage %j exits 2 and says why', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a missing base directory is a clear error (exit 1)', () => {
    const r = cli('migrate', '--base-dir', join(home, 'nope'), '--dry-run');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/base directory .*nope does not exist/);
  });
});

describe('sandbox-provisioner serve', () => {
  it('stops at start-up on a bad variable, naming it, the value and what is allowed (exit 1)', () => {
    const r = cliWith({ SANDBOX_SERVICE_TYPE: 'LoadBalancer', PROVISIONER_PORT: 'x' }, 'serve');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SANDBOX_SERVICE_TYPE="LoadBalancer" is not valid: expected NodePort or ClusterIP');
    expect(r.stderr).toContain('PROVISIONER_PORT="x"');
  });

  it('stops at start-up on a malformed kubeconfig, naming the file (exit 1)', () => {
    const bad = join(home, 'bad-kubeconfig');
    writeFileSync(bad, 'clusters: [oops');
    const r = cliWith({ KUBECONFIG_PATH: bad }, 'serve', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kubeconfig .*bad-kubeconfig is not valid YAML/);
  });

  it('refuses a non-loopback address without an API key (exit 1)', () => {
    const r = cli('serve', '--host', '0.0.0.0', '--port', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
  });

  it('rejects a bad --port as usage (exit 2)', () => {
    expect(cli('serve', '--port', '99999').code).toBe(2);
  });
});

describe('sandbox-provisioner cluster', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spd-data-'));
  // No kind/minikube/docker on this PATH: the machine's own are never run by these tests.
  const noTools = { PATH: hermeticPath() };

  it('kind-config prints YAML only on stdout (pipeable), the settings on stderr', () => {
    const r = cliWith(
      noTools,
      'cluster',
      'kind-config',
      '--data-dir',
      dataDir,
      '--node-ports',
      '30000-30001',
      '--listen-address',
      '127.0.0.1',
    );
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toEqual(
      buildKindConfig({ name: 'deer-flow', dataDir, nodePorts: { from: 30000, to: 30001 }, listenAddress: '127.0.0.1' }),
    );
    expect(r.stderr).toContain('SANDBOX_NODE_PORT_RANGE=30000-30001');
  });

  it('bad options exit 2 naming the option, and nothing runs', () => {
    const r = cliWith(noTools, 'cluster', 'kind-config', '--data-dir', dataDir, '--node-ports', '80-90');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--node-ports: "80-90" is not valid: NodePorts must lie within 30000-32767');
    expect(cliWith(noTools, 'cluster', 'create', '--data-dir', dataDir).stderr).toContain('say which tool: --kind or --minikube');
    expect(cliWith(noTools, 'cluster', 'create', '--kind', '--data-dir', dataDir, '--name', 'Bad_Name').code).toBe(2);
  });

  it('create with kind missing exits 1 with the install hint', () => {
    const r = cliWith(noTools, 'cluster', 'create', '--kind', '--data-dir', dataDir, '--listen-address', '127.0.0.1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kind is not installed; install kind: https://kind.sigs.k8s.io');
  });

  it('detect with no kubeconfig still lists the local tools (that is when they matter)', () => {
    const text = cliWith(noTools, 'cluster', 'detect');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^kubeconfig: none — No kubeconfig found/m);
    expect(text.stdout).toMatch(/^kind: not installed — install kind:/m);
    expect(text.stdout).toMatch(/^docker: not installed — install Docker/m);
    const json = JSON.parse(cliWith(noTools, 'cluster', 'detect', '--json').stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ kubeconfig: null, kubeconfigProblem: expect.stringContaining('No kubeconfig found'), contexts: [] });
    expect((json.tools as { tool: string }[]).map((t) => t.tool)).toEqual(['kind', 'minikube', 'docker']);
  });

  it('delete without a terminal needs --yes', () => {
    const r = cliWith(noTools, 'cluster', 'delete', '--kind', '--name', 'deer-flow');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs confirmation: add --yes');
  });
});
