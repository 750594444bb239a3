// The kind adapter and the generated kind config, checked by the real kind CLI (built from
// sigs.k8s.io/kind by test/cluster/build.sh) running against a stand-in docker
// (test/fixtures/tools/docker). kind loads and validates the config strictly before its first
// `docker run`; the stand-in records that call, so a test sees the exact node container kind
// would start (mounts, published ports) — and a config kind rejects fails here.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InvalidPlanError } from '../../app/cluster/data-folders.js';
import { loadSandboxImage } from '../../app/cluster/images.js';
import { ClusterExistsError, createKindCluster, listKindClusters } from '../../app/cluster/kind.js';
import { buildKindConfig, type KindClusterPlan, kindClusterNameProblem } from '../../app/cluster/kind-config.js';
import { detectLocalTools } from '../../app/cluster/local-tools.js';
import { ToolCanceledError, ToolFailedError } from '../../app/cluster/tools.js';
import { cacheDir, readVersions } from '../cluster/control-plane.js';
import { hermeticPath } from '../support/hermetic-path.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tools');
const realKind = join(cacheDir(), 'bin', `kind-${readVersions().KIND_VERSION}`, 'kind');
const realDocker = join(cacheDir(), 'bin', `docker-cli-${readVersions().DOCKER_CLI_VERSION}`, 'docker');

interface Tools {
  env: NodeJS.ProcessEnv;
  calls: () => string[];
}

/** A recording wrapper (one line per call in $STANDIN_CALLS) that runs `binary`. */
function recordingWrapper(dir: string, name: string, binary: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "$STANDIN_CALLS"\nexec "${binary}" "$@"\n`);
  chmodSync(join(dir, name), 0o755);
}

/**
 * A PATH with a recording wrapper around the real kind and the stand-in docker; with
 * `docker: 'real'`, around the real docker CLI instead, which finds no engine here.
 */
function tools(vars: Record<string, string> = {}, withKind = true, docker: 'stand-in' | 'real' = 'stand-in'): Tools {
  const dir = mkdtempSync(join(tmpdir(), 'spd-kind-it-'));
  const callsFile = join(dir, 'calls');
  writeFileSync(callsFile, '');
  if (withKind) recordingWrapper(dir, 'kind', realKind);
  if (docker === 'real') recordingWrapper(dir, 'docker', realDocker);
  return {
    env: { PATH: hermeticPath(dir, fixtures), HOME: dir, STANDIN_CALLS: callsFile, ...vars },
    calls: () => readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean),
  };
}

const plan: KindClusterPlan = {
  name: 'deer-flow',
  dataDir: '/home/dev/deer-flow/backend/.deer-flow',
  skillsDir: '/home/dev/deer-flow/skills',
  nodePorts: { from: 30000, to: 30004 },
  listenAddress: '127.0.0.1',
};

beforeAll(() => {
  chmodSync(join(fixtures, 'docker'), 0o755);
});

describe('kind create with the generated config (real kind, stand-in docker)', () => {
  it('kind accepts the config and starts the node with our mounts and published NodePorts', async () => {
    const t = tools();
    const lines: string[] = [];
    const err = await createKindCluster(plan, { env: t.env, onLine: (l) => lines.push(l) }).catch((e: unknown) => e);
    // It got as far as provisioning: the stand-in's `docker run` is what failed.
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as Error).message).toContain('stand-in docker: no Docker engine here (docker run)');
    expect(lines).toContain(' • Preparing nodes 📦   ...');
    const run = t.calls().find((c) => c.startsWith('docker run '));
    expect(run).toBeDefined();
    const args = run?.split(' ') ?? [];
    expect(args).toContain('--name');
    expect(args).toContain('deer-flow-control-plane');
    expect(args.filter((a) => a.startsWith('--volume=/home'))).toEqual([
      '--volume=/home/dev/deer-flow/backend/.deer-flow:/home/dev/deer-flow/backend/.deer-flow',
      '--volume=/home/dev/deer-flow/skills:/home/dev/deer-flow/skills',
    ]);
    expect(args.filter((a) => /^--publish=127\.0\.0\.1:300\d\d:/.test(a))).toEqual(
      [30000, 30001, 30002, 30003, 30004].map((p) => `--publish=127.0.0.1:${p}:${p}/TCP`),
    );
    expect(t.calls().filter((c) => c.startsWith('kind '))[1]).toMatch(
      /^kind create cluster --name deer-flow --config \S+kind-config\.yaml$/,
    );
  });

  it('publishes the API server on the listen address, and passes --image on to kind', async () => {
    const t = tools();
    // kind picks the API server's host port by binding apiServerAddress: an address this machine
    // has (127.0.0.2 is loopback on Linux, and not kind's default).
    await createKindCluster({ ...plan, listenAddress: '127.0.0.2' }, { env: t.env }).catch(() => undefined);
    const run = t.calls().find((c) => c.startsWith('docker run ')) ?? '';
    // kind publishes the API server's port 6443 on networking.apiServerAddress.
    expect(run, t.calls().join('\n')).toMatch(/--publish=127\.0\.0\.2:\d+:6443\/TCP/);
    const withImage = tools();
    await createKindCluster({ ...plan, nodeImage: 'spd.local/kind-node:test' }, { env: withImage.env }).catch(() => undefined);
    expect(withImage.calls().filter((c) => c.startsWith('kind '))[1]).toMatch(/ --image spd\.local\/kind-node:test$/);
    // kind asked the engine for exactly that image (the stand-in has none, so it stops there).
    expect(withImage.calls()).toContain('docker inspect --type=image spd.local/kind-node:test');
  });

  it("a field kind does not know fails kind's strict loader (so a wrong generated field would fail the test above)", async () => {
    const t = tools();
    const config = buildKindConfig(plan) as { nodes: { extraPortMappings: Record<string, unknown>[] }[] };
    const first = config.nodes[0]?.extraPortMappings[0];
    if (first) first.listenAddres = '127.0.0.1'; // a typo
    const file = join(mkdtempSync(join(tmpdir(), 'spd-kind-bad-')), 'kind.yaml');
    writeFileSync(file, stringify(config));
    const r = await execa('kind', ['create', 'cluster', '--config', file], { env: t.env, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('field listenAddres not found in type v1alpha4.PortMappingAlias');
    expect(t.calls().some((c) => c.startsWith('docker run'))).toBe(false);
  });

  it('our cluster-name rule gives the same verdict as kind for each name', async () => {
    const t = tools();
    for (const name of ['deer-flow', 'dev.2', 'Deer_Flow', 'UPPER', 'a_b', 'ok-9']) {
      const r = await execa('kind', ['create', 'cluster', '--name', name], { env: t.env, extendEnv: false, reject: false });
      const kindRejects = r.stderr.includes('is not a valid cluster name');
      expect({ name, rejected: kindClusterNameProblem(name) !== undefined }).toEqual({ name, rejected: kindRejects });
    }
  });

  it('refuses a name kind rejects before running anything', async () => {
    const t = tools();
    await expect(createKindCluster({ ...plan, name: 'Deer_Flow' }, { env: t.env })).rejects.toBeInstanceOf(InvalidPlanError);
    expect(t.calls()).toEqual([]);
  });

  it('reports a cluster that exists already, without creating', async () => {
    const t = tools({ STANDIN_CLUSTERS: 'dev deer-flow' });
    expect(await listKindClusters({ env: t.env })).toEqual(['deer-flow', 'dev']);
    const err = await createKindCluster(plan, { env: t.env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterExistsError);
    expect((err as Error).message).toMatch(/exists already: use it \(kubeconfig context kind-deer-flow\)/);
    expect(t.calls().filter((c) => c.startsWith('kind create'))).toEqual([]);
  });

  it('says kind is not installed, with the hint, when it is missing', async () => {
    const t = tools({}, false);
    await expect(createKindCluster(plan, { env: t.env })).rejects.toThrow(
      /kind is not installed; install kind: https:\/\/kind\.sigs\.k8s\.io/,
    );
  });

  it('cancelling stops kind and removes the partly created cluster', async () => {
    const t = tools({ STANDIN_RUN: 'sleep' });
    const abort = new AbortController();
    const lines: string[] = [];
    const err = await createKindCluster(plan, {
      env: t.env,
      signal: abort.signal,
      onLine: (l) => {
        lines.push(l);
        if (l.includes('Preparing nodes')) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolCanceledError);
    expect(lines).toContain('cancelled: removing the partly created cluster "deer-flow"');
    expect(
      t
        .calls()
        .filter((c) => c.startsWith('kind '))
        .at(-1),
    ).toBe('kind delete cluster --name deer-flow');
  });
});

// The real docker CLI with no engine behind it: what a developer sees whose Docker is installed
// but not started, the most common reason `kind create cluster` fails.
describe('Docker installed but its engine not running (real docker CLI, real kind)', () => {
  const engineDown =
    /Docker is installed but its engine is not running \(nothing answers at unix:\/\/\/var\/run\/docker\.sock\)\. Start Docker Desktop/;

  it("detection shows docker's version and why it cannot work", async () => {
    const t = tools({}, true, 'real');
    const local = await detectLocalTools({ env: { ...t.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    const docker = local.tools.find((x) => x.tool === 'docker');
    expect(docker).toEqual({
      tool: 'docker',
      installed: true,
      version: readVersions().DOCKER_CLI_VERSION?.replace(/^v/, ''),
      problem: expect.stringMatching(engineDown),
    });
    expect(local.kindClusters).toBeUndefined();
    expect(local.kindError).toMatch(engineDown);
  });

  it('creating a cluster says so before kind starts anything', async () => {
    const t = tools({}, true, 'real');
    const err = await createKindCluster(plan, { env: { ...t.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as Error).message).toMatch(/^`kind get clusters` failed \(exit 1\): /);
    expect((err as Error).message).toMatch(engineDown);
    expect(t.calls().filter((c) => c.startsWith('kind '))).toEqual(['kind get clusters']);
  });

  it('loading an image says so instead of trying to pull', async () => {
    const t = tools({}, true, 'real');
    const lines: string[] = [];
    const err = await loadSandboxImage(
      'sandbox:1',
      { tool: 'kind', cluster: 'deer-flow' },
      { env: { ...t.env, DOCKER_HOST: 'unix:///var/run/docker.sock' }, onLine: (l) => lines.push(l) },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(engineDown);
    expect(t.calls()).toEqual(['docker image inspect --format {{.Id}} sandbox:1']);
    expect(lines.join('\n')).not.toContain('pulling');
  });
});

describe('loading the sandbox image into kind', () => {
  it("pulls an image the local docker lacks, then asks kind to load it (kind's failure shown)", async () => {
    const t = tools({ STANDIN_CLUSTERS: 'deer-flow' });
    const lines: string[] = [];
    const err = await loadSandboxImage(
      'sandbox:1',
      { tool: 'kind', cluster: 'deer-flow' },
      { env: t.env, onLine: (l) => lines.push(l) },
    ).catch((e: unknown) => e);
    const calls = t.calls();
    expect(calls.slice(0, 2)).toEqual(['docker image inspect --format {{.Id}} sandbox:1', 'docker pull sandbox:1']);
    expect(lines).toContain('Status: Downloaded newer image for sandbox:1');
    expect(calls).toContain('kind load docker-image sandbox:1 --name deer-flow');
    // The stand-in cannot `docker save`; kind's error reaches the caller with its output.
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as ToolFailedError).output).toMatch(/stand-in docker/);
  });

  it('does not pull an image the local docker has', async () => {
    const t = tools({ STANDIN_CLUSTERS: 'deer-flow', STANDIN_IMAGES: 'sandbox:1' });
    await loadSandboxImage('sandbox:1', { tool: 'kind', cluster: 'deer-flow' }, { env: t.env }).catch(() => undefined);
    expect(t.calls().some((c) => c.startsWith('docker pull'))).toBe(false);
  });
});
