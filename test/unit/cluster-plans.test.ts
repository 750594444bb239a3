// Pure parts of the local-cluster helpers: the kind config and provisioner settings for a plan,
// plan problems naming the option to fix, minikube's start arguments, image name matching.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageTargetFor } from '../../app/cli/cluster-command.js';
import { classifyContext } from '../../app/cluster/contexts.js';
import { InvalidPlanError, isWithin } from '../../app/cluster/data-folders.js';
import { canonicalImage } from '../../app/cluster/images.js';
import { defaultListenAddress } from '../../app/cluster/kind.js';
import {
  buildKindConfig,
  type KindClusterPlan,
  kindConfigYaml,
  kindPlanProblems,
  provisionerEnvForKind,
} from '../../app/cluster/kind-config.js';
import { minikubePlanProblems, minikubeStartArgs, provisionerEnvForMinikube, startMinikube } from '../../app/cluster/minikube.js';
import { kindPlanFor, minikubePlanFor } from '../../app/cluster/plans.js';
import { loadConfig } from '../../app/config/config.js';
import { hermeticPath } from '../support/hermetic-path.js';

const plan: KindClusterPlan = { name: 'deer-flow', dataDir: '/srv/df/', nodePorts: { from: 30000, to: 30002 }, listenAddress: '127.0.0.1' };

describe('kind config', () => {
  it('mounts the data folder at the same path and publishes each NodePort of the range', () => {
    expect(buildKindConfig(plan)).toEqual({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name: 'deer-flow',
      networking: { apiServerAddress: '127.0.0.1' },
      nodes: [
        {
          role: 'control-plane',
          extraMounts: [{ hostPath: '/srv/df', containerPath: '/srv/df' }],
          extraPortMappings: [30000, 30001, 30002].map((p) => ({
            containerPort: p,
            hostPort: p,
            listenAddress: '127.0.0.1',
            protocol: 'TCP',
          })),
        },
      ],
    });
  });

  it('publishes the API server where the NodePorts are (on Linux the bridge gateway, so containers reach it)', () => {
    expect(buildKindConfig({ ...plan, listenAddress: '172.17.0.1' }).networking).toEqual({ apiServerAddress: '172.17.0.1' });
  });

  it('adds a skills folder outside the data folder as a second mount, not one inside it', () => {
    const mounts = (p: KindClusterPlan) => (buildKindConfig(p).nodes as { extraMounts: unknown[] }[])[0]?.extraMounts;
    expect(mounts({ ...plan, skillsDir: '/srv/df/skills' })).toHaveLength(1);
    expect(mounts({ ...plan, skillsDir: '/opt/skills' })).toEqual([
      { hostPath: '/srv/df', containerPath: '/srv/df' },
      { hostPath: '/opt/skills', containerPath: '/opt/skills' },
    ]);
  });

  it('YAML round-trips to the same object, under a header saying what it is', () => {
    const yaml = kindConfigYaml(plan);
    expect(yaml.startsWith('# kind cluster for DeerFlow sandboxes')).toBe(true);
    expect(parse(yaml)).toEqual(buildKindConfig(plan));
  });

  it('names each problem with the option to change', () => {
    expect(kindPlanProblems(plan)).toEqual([]);
    expect(
      kindPlanProblems({
        name: 'Bad_Name',
        dataDir: 'relative/dir',
        skillsDir: '/',
        nodePorts: { from: 30000, to: 30500 },
        listenAddress: 'localhost',
        nodeImage: '--help',
      }),
    ).toEqual([
      { option: '--name', message: expect.stringMatching(/^"Bad_Name" is not a valid kind cluster name/) },
      { option: '--data-dir', message: expect.stringMatching(/^"relative\/dir" is not an absolute POSIX path/) },
      { option: '--skills-dir', message: expect.stringMatching(/^mounting "\/" into the node is refused/) },
      { option: '--node-ports', message: expect.stringMatching(/^30000-30500 publishes more than 200 ports/) },
      { option: '--listen-address', message: expect.stringMatching(/^"localhost" is not an IP address/) },
      { option: '--image', message: expect.stringMatching(/^"--help" is not an image reference/) },
    ]);
    expect(kindPlanProblems({ ...plan, nodeImage: 'spd.local/kind-node:v1.36.3-abc@sha256:0123' })).toEqual([]);
  });

  it('gives provisioner settings that the provisioner accepts', () => {
    const env = provisionerEnvForKind({ ...plan, skillsDir: '/opt/skills' });
    expect(env).toEqual({
      THREADS_HOST_PATH: '/srv/df/threads',
      SKILLS_HOST_PATH: '/opt/skills',
      SANDBOX_SERVICE_TYPE: 'NodePort',
      SANDBOX_NODE_PORT_RANGE: '30000-30002',
      NODE_HOST: 'host.docker.internal',
    });
    expect(loadConfig(env).nodePortRange).toEqual({ from: 30000, to: 30002 });
  });
});

describe('minikube', () => {
  const mplan = { profile: 'deer-flow', dataDir: '/srv/df' };
  it('starts the profile with the data folder mounted at the same path', () => {
    expect(minikubeStartArgs(mplan)).toEqual(['start', '-p', 'deer-flow', '--mount', '--mount-string=/srv/df:/srv/df']);
  });

  it('refuses a second folder it cannot mount, saying how to do it instead', () => {
    expect(minikubePlanProblems({ ...mplan, skillsDir: '/srv/df/skills' })).toEqual([]);
    expect(minikubePlanProblems({ ...mplan, skillsDir: '/opt/skills' })).toEqual([
      { option: '--skills-dir', message: expect.stringContaining('minikube mount /opt/skills:/opt/skills') },
    ]);
    expect(minikubePlanProblems({ profile: '-x', dataDir: 'rel' })).toHaveLength(2);
  });

  it('runs start then ip, and reports the node IP as NODE_HOST', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-minikube-'));
    // Stand-in: records its arguments; prints what `minikube ip` prints (one address).
    writeFileSync(join(dir, 'minikube'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\n[ "$1" = ip ] && echo 192.168.49.2\nexit 0\n`);
    chmodSync(join(dir, 'minikube'), 0o755);
    const r = await startMinikube(mplan, { env: { PATH: hermeticPath(dir) } });
    expect(r).toEqual({ context: 'deer-flow', nodeIp: '192.168.49.2' });
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toEqual([
      'start -p deer-flow --mount --mount-string=/srv/df:/srv/df',
      'ip -p deer-flow',
    ]);
    expect(provisionerEnvForMinikube(mplan, r.nodeIp).NODE_HOST).toBe('192.168.49.2');
  });
});

describe('canonicalImage', () => {
  it('matches the names container runtimes report', () => {
    expect(canonicalImage('busybox')).toBe('docker.io/library/busybox:latest');
    expect(canonicalImage('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(canonicalImage('me/app:1')).toBe('docker.io/me/app:1');
    expect(canonicalImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(canonicalImage('enterprise-public-cn-beijing.cr.volces.com/vefaas-public/all-in-one-sandbox:latest')).toBe(
      'enterprise-public-cn-beijing.cr.volces.com/vefaas-public/all-in-one-sandbox:latest',
    );
    expect(canonicalImage('busybox@sha256:abc')).toBe('docker.io/library/busybox@sha256:abc');
  });
});

describe('where kind publishes NodePorts', () => {
  const docker = (body: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-docker-'));
    writeFileSync(join(dir, 'docker'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\n${body}\n`);
    chmodSync(join(dir, 'docker'), 0o755);
    return { env: { PATH: hermeticPath(dir) }, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim() };
  };

  it('Linux: the docker bridge gateway (what host.docker.internal means there)', async () => {
    const d = docker('echo 172.17.0.1');
    expect(await defaultListenAddress('linux', { env: d.env })).toBe('172.17.0.1');
    expect(d.calls()).toBe('network inspect bridge --format {{(index .IPAM.Config 0).Gateway}}');
  });

  it('Linux without a working docker, and macOS/Windows: loopback', async () => {
    expect(await defaultListenAddress('linux', { env: docker('echo "Cannot connect" >&2; exit 1').env })).toBe('127.0.0.1');
    expect(await defaultListenAddress('linux', { env: { PATH: '/nonexistent' } })).toBe('127.0.0.1');
    expect(await defaultListenAddress('darwin')).toBe('127.0.0.1');
    expect(await defaultListenAddress('win32')).toBe('127.0.0.1');
  });
});

describe('where load-image loads', () => {
  it('from the options, else from the current context, else it asks', () => {
    const ctx = (name: string, server = 'https://127.0.0.1:6443') => ({
      ...classifyContext(name, server),
      name,
      server,
      current: true,
      loopback: true,
    });
    expect(imageTargetFor({ kind: 'dev' }, ctx('minikube'))).toEqual({ tool: 'kind', cluster: 'dev' });
    expect(imageTargetFor({}, ctx('kind-deer-flow'))).toEqual({ tool: 'kind', cluster: 'deer-flow' });
    expect(imageTargetFor({}, ctx('dev', 'https://192.168.49.2:8443'))).toEqual({ tool: 'minikube', profile: 'dev' });
    expect(() => imageTargetFor({}, ctx('docker-desktop'))).toThrow(/say where to load the image with --kind NAME or --minikube PROFILE/);
    expect(() => imageTargetFor({ kind: 'a', minikube: 'b' }, undefined)).toThrow(/not both/);
  });
});

describe('plans from what was asked (CLI options or the Cluster form)', () => {
  const data = mkdtempSync(join(tmpdir(), 'spd-plan-'));

  it('gathers every problem, each naming its option, before anything runs', async () => {
    const err = await kindPlanFor({ name: 'Bad_Name', skillsDir: '/no/such/folder', nodePorts: '1-2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPlanError);
    expect((err as InvalidPlanError).problems).toEqual([
      expect.stringMatching(/^--data-dir: required/),
      expect.stringMatching(/^--skills-dir: \/no\/such\/folder is not a folder/),
      expect.stringMatching(/^--node-ports: "1-2" is not valid: NodePorts must lie within/),
    ]);
    // The same problems as data on the request's fields (the Cluster form shows each on its own).
    expect((err as InvalidPlanError).fields.map((f) => f.field)).toEqual(['dataDir', 'skillsDir', 'nodePorts']);
    expect((err as InvalidPlanError).category).toBe('invalid');
    await expect(kindPlanFor({ name: 'Bad_Name', dataDir: data, listenAddress: '127.0.0.1' })).rejects.toMatchObject({
      problems: [expect.stringMatching(/^--name: "Bad_Name" is not a valid kind cluster name/)],
    });
  });

  it('fills the defaults', async () => {
    expect(await kindPlanFor({ dataDir: data, listenAddress: '127.0.0.1' })).toEqual({
      name: 'deer-flow',
      dataDir: data,
      nodePorts: { from: 30000, to: 30049 },
      listenAddress: '127.0.0.1',
    });
    expect(minikubePlanFor({ dataDir: data })).toEqual({ profile: 'deer-flow', dataDir: data });
    expect(() => minikubePlanFor({ dataDir: data, skillsDir: tmpdir() })).toThrow(InvalidPlanError);
  });

  it('a folder is within another only below it, not beside it with a longer name', () => {
    expect(isWithin('/a/b/c', '/a/b')).toBe(true);
    expect(isWithin('/a/b/', '/a/b')).toBe(true);
    expect(isWithin('/a/bc', '/a/b')).toBe(false);
    expect(isWithin('/x', '/')).toBe(true);
  });
});
