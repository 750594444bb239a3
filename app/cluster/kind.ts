// kind clusters for DeerFlow: create from a generated config (output streamed, cancellable,
// a half-made cluster removed), delete, and load the sandbox image into the node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidPlanError } from './data-folders.js';
import { type KindClusterPlan, kindConfigYaml, kindPlanProblems } from './kind-config.js';
import {
  parseKindClusters,
  type RunOptions,
  runTool,
  runToolStreaming,
  type StreamOptions,
  ToolCanceledError,
  ToolFailedError,
} from './tools.js';

export class ClusterExistsError extends Error {
  constructor(readonly clusterName: string) {
    super(
      `a kind cluster named "${clusterName}" exists already: use it (kubeconfig context kind-${clusterName}), ` +
        `choose another --name, or delete it first (sandbox-provisioner cluster delete --kind --name ${clusterName})`,
    );
    this.name = 'ClusterExistsError';
  }
}

export async function listKindClusters(opts: RunOptions = {}): Promise<string[]> {
  const r = await runTool('kind', ['get', 'clusters'], opts);
  if (r.exitCode !== 0) throw new ToolFailedError('kind', ['get', 'clusters'], r.exitCode, r.stderr);
  return parseKindClusters(r.stdout);
}

/**
 * `kind create cluster` with the DeerFlow config. Refuses a plan with problems and an existing
 * cluster before running anything; a cancelled create is cleaned up with `kind delete cluster`.
 */
export async function createKindCluster(plan: KindClusterPlan, opts: StreamOptions = {}): Promise<{ context: string }> {
  const problems = kindPlanProblems(plan);
  if (problems.length) throw new InvalidPlanError(problems);
  if ((await listKindClusters(opts)).includes(plan.name)) throw new ClusterExistsError(plan.name);
  const dir = mkdtempSync(join(tmpdir(), 'spd-kind-'));
  const configFile = join(dir, 'kind-config.yaml');
  writeFileSync(configFile, kindConfigYaml(plan), { mode: 0o600 });
  try {
    const image = plan.nodeImage ? ['--image', plan.nodeImage] : [];
    await runToolStreaming('kind', ['create', 'cluster', '--name', plan.name, '--config', configFile, ...image], opts);
    return { context: `kind-${plan.name}` };
  } catch (e) {
    // kind removes a cluster whose creation failed, but not one whose process was stopped.
    if (e instanceof ToolCanceledError) {
      opts.onLine?.(`cancelled: removing the partly created cluster "${plan.name}"`);
      await deleteKindCluster(plan.name, { ...opts, signal: undefined }).catch(() => undefined);
    }
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function deleteKindCluster(name: string, opts: StreamOptions = {}): Promise<void> {
  await runToolStreaming('kind', ['delete', 'cluster', '--name', name], opts);
}

/** `kind load docker-image`: copies an image from the local docker into the cluster's node. */
export async function loadImageIntoKind(image: string, clusterName: string, opts: StreamOptions = {}): Promise<void> {
  await runToolStreaming('kind', ['load', 'docker-image', image, '--name', clusterName], opts);
}

/**
 * Where a kind cluster should publish sandbox NodePorts so that both this machine and DeerFlow's
 * containers (through host.docker.internal) reach them. Docker Desktop (macOS, Windows) routes
 * host.docker.internal to the host's loopback, so 127.0.0.1 works and stays private. On Linux,
 * host.docker.internal is the docker bridge gateway (host-gateway), which a loopback-bound port
 * does not answer on: publish on the gateway address instead (still not on the LAN).
 */
export async function defaultListenAddress(platform: NodeJS.Platform = process.platform, opts: RunOptions = {}): Promise<string> {
  if (platform !== 'linux') return '127.0.0.1';
  try {
    const r = await runTool('docker', ['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'], opts);
    const ip = r.stdout.trim();
    if (r.exitCode === 0 && /^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip;
  } catch {
    // docker missing: creation will say so; the config still gets a safe address
  }
  return '127.0.0.1';
}
