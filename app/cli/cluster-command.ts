// sandbox-provisioner cluster …: find local clusters, create one for DeerFlow (kind or
// minikube), delete one, and put the sandbox image into it. The work is done by app/cluster;
// this file turns options into plans and prints.
import { resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ContextSummary } from '../cluster/contexts.js';
import { probeContext, summarizeContexts } from '../cluster/contexts.js';
import { type ImageTarget, imagePresence, imageTargetOf, loadSandboxImage } from '../cluster/images.js';
import { createKindCluster, deleteKindCluster } from '../cluster/kind.js';
import { kindConfigYaml, provisionerEnvForKind } from '../cluster/kind-config.js';
import { detectLocalTools } from '../cluster/local-tools.js';
import { deleteMinikube, provisionerEnvForMinikube, startMinikube } from '../cluster/minikube.js';
import { type ClusterRequest, kindPlanFor, minikubePlanFor } from '../cluster/plans.js';
import { toolStatusText } from '../cluster/tool-status.js';
import { loadConfig } from '../config/config.js';
import { formatNodePortRange } from '../config/node-port-range.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { EXIT, UsageError } from './exit-codes.js';
import { confirm } from './prompt.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

/**
 * What this machine has: kubeconfig contexts (and whether each answers), the local CLIs and the
 * clusters they know. No kubeconfig is a finding, not a failure: the tools are still listed,
 * since that is when a developer needs to know whether kind or minikube could make one.
 */
export async function clusterDetectCommand(opts: { json?: boolean }): Promise<number> {
  let kubeconfigPath: string | undefined;
  try {
    kubeconfigPath = loadConfig(process.env).kubeconfigPath;
  } catch (e) {
    err(`cluster detect: ${(e as Error).message}`);
    return EXIT.failed;
  }
  let kube: { kc: KubeConfig; origin: string } | { problem: string };
  try {
    kube = loadKubeConfig({ kubeconfigPath });
  } catch (e) {
    kube = { problem: (e as Error).message };
  }
  const kc = 'kc' in kube ? kube.kc : undefined;
  const contexts = kc ? summarizeContexts(kc) : [];
  const [probes, local] = await Promise.all([Promise.all(contexts.map((c) => probeContext(kc as KubeConfig, c.name))), detectLocalTools()]);
  const result = contexts.map((c, i) => ({ ...c, reachability: probes[i] }));
  if (opts.json) {
    const kubeconfig = 'origin' in kube ? { kubeconfig: kube.origin } : { kubeconfig: null, kubeconfigProblem: kube.problem };
    out(JSON.stringify({ ...kubeconfig, contexts: result, ...local }, null, 2));
    return EXIT.ok;
  }
  out(`kubeconfig: ${'origin' in kube ? kube.origin : `none — ${kube.problem}`}`);
  for (const c of result) {
    const r = c.reachability;
    const state = r?.state === 'ready' ? `ready (${r.version})` : `${r?.state}: ${r && 'message' in r ? r.message : ''}`;
    out(`${c.current ? '*' : ' '} ${c.name}  [${c.kind}]  ${c.server}  ${state}`);
  }
  for (const t of local.tools) out(`${t.tool}: ${toolStatusText(t)}`);
  if (local.kindClusters) out(`kind clusters: ${local.kindClusters.join(', ') || '(none)'}`);
  if (local.kindError) out(`kind clusters: ${local.kindError}`);
  if (local.minikubeProfiles)
    out(`minikube profiles: ${local.minikubeProfiles.map((p) => `${p.name} (${p.status})`).join(', ') || '(none)'}`);
  if (local.minikubeError) out(`minikube profiles: ${local.minikubeError}`);
  return EXIT.ok;
}

export interface PlanOptions {
  dataDir?: string;
  skillsDir?: string;
  name?: string;
  nodePorts?: string;
  listenAddress?: string;
  image?: string;
}

/** CLI options as a request: relative folders are taken from the current directory. */
function requestOf({ image, ...opts }: PlanOptions): ClusterRequest {
  return {
    ...opts,
    ...(image !== undefined ? { nodeImage: image } : {}),
    ...(opts.dataDir ? { dataDir: resolve(opts.dataDir) } : {}),
    ...(opts.skillsDir ? { skillsDir: resolve(opts.skillsDir) } : {}),
  };
}

function printEnv(env: Record<string, string>): void {
  err('Run the provisioner with these settings:');
  for (const [k, v] of Object.entries(env)) err(`  ${k}=${v}`);
}

export async function kindConfigCommand(opts: PlanOptions): Promise<number> {
  const plan = await kindPlanFor(requestOf(opts));
  out(kindConfigYaml(plan).trimEnd());
  printEnv(provisionerEnvForKind(plan));
  err(`Create it with: kind create cluster --config <this file>   (or: sandbox-provisioner cluster create --kind …)`);
  return EXIT.ok;
}

/** Ctrl-C cancels the running CLI (and a half-made kind cluster is removed). */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const onInt = () => {
    err('interrupted: stopping…');
    abort.abort();
  };
  process.once('SIGINT', onInt);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', onInt) };
}

export async function clusterCreateCommand(opts: PlanOptions & { kind?: boolean; minikube?: boolean }): Promise<number> {
  if (!!opts.kind === !!opts.minikube) throw new UsageError('say which tool: --kind or --minikube');
  const { signal, dispose } = interruptSignal();
  try {
    if (opts.kind) {
      const plan = await kindPlanFor(requestOf(opts));
      err(
        `creating kind cluster "${plan.name}": ${plan.dataDir} mounted, NodePorts ${formatNodePortRange(plan.nodePorts)} on ${plan.listenAddress}`,
      );
      const { context } = await createKindCluster(plan, { onLine: err, signal });
      out(`created: kubeconfig context ${context}`);
      printEnv(provisionerEnvForKind(plan));
    } else {
      const plan = minikubePlanFor(requestOf(opts));
      const { context, nodeIp } = await startMinikube(plan, { onLine: err, signal });
      out(`started: kubeconfig context ${context}, node IP ${nodeIp}`);
      printEnv(provisionerEnvForMinikube(plan, nodeIp));
    }
    return EXIT.ok;
  } finally {
    dispose();
  }
}

export async function clusterDeleteCommand(opts: { kind?: boolean; minikube?: boolean; name?: string; yes?: boolean }): Promise<number> {
  if (!!opts.kind === !!opts.minikube) throw new UsageError('say which tool: --kind or --minikube');
  if (!opts.name) throw new UsageError('--name is required: the cluster (kind) or profile (minikube) to delete');
  const what = `${opts.kind ? 'kind cluster' : 'minikube profile'} "${opts.name}"`;
  if (!opts.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`deleting ${what} needs confirmation: add --yes`);
    if (!(await confirm(`Delete ${what} and everything in it? [y/N] `))) {
      err('nothing deleted');
      return EXIT.failed;
    }
  }
  if (opts.kind) await deleteKindCluster(opts.name, { onLine: err });
  else await deleteMinikube(opts.name, { onLine: err });
  out(`deleted ${what}`);
  return EXIT.ok;
}

/** kind/minikube target from the options, else from the current kubeconfig context. */
export function imageTargetFor(opts: { kind?: string; minikube?: string }, current: ContextSummary | undefined): ImageTarget {
  if (opts.kind && opts.minikube) throw new UsageError('give --kind NAME or --minikube PROFILE, not both');
  if (opts.kind) return { tool: 'kind', cluster: opts.kind };
  if (opts.minikube) return { tool: 'minikube', profile: opts.minikube };
  const target = imageTargetOf(current);
  if (target) return target;
  throw new UsageError(
    `the current context (${current?.name ?? 'none'}) is not a kind or minikube cluster: say where to load the image with --kind NAME or --minikube PROFILE`,
  );
}

export async function loadImageCommand(
  image: string | undefined,
  opts: { kind?: string; minikube?: string; force?: boolean },
): Promise<number> {
  const config = loadConfig(process.env);
  const ref = image ?? config.sandboxImage;
  const { kc } = loadKubeConfig({ kubeconfigPath: config.kubeconfigPath });
  const current = summarizeContexts(kc).find((c) => c.current);
  const target = imageTargetFor(opts, current);
  if (!opts.force && !opts.kind && !opts.minikube) {
    const presence = await imagePresence(kc, ref).catch(() => undefined);
    if (presence && presence.nodeCount > 0 && presence.nodesWithImage.length === presence.nodeCount) {
      out(`${ref} is on every node already (${presence.nodesWithImage.join(', ')}); add --force to load it again`);
      return EXIT.ok;
    }
  }
  err(`loading ${ref} into ${target.tool === 'kind' ? `kind cluster "${target.cluster}"` : `minikube profile "${target.profile}"`}`);
  await loadSandboxImage(ref, target, { onLine: err });
  out(`loaded ${ref}`);
  return EXIT.ok;
}

export async function imageStatusCommand(image: string | undefined, opts: { json?: boolean }): Promise<number> {
  const config = loadConfig(process.env);
  const { kc } = loadKubeConfig({ kubeconfigPath: config.kubeconfigPath });
  const presence = await imagePresence(kc, image ?? config.sandboxImage);
  if (opts.json) out(JSON.stringify(presence, null, 2));
  else
    out(
      presence.nodesWithImage.length
        ? `${presence.image}: on ${presence.nodesWithImage.length} of ${presence.nodeCount} node(s): ${presence.nodesWithImage.join(', ')}`
        : `${presence.image}: on none of ${presence.nodeCount} node(s); load it with \`sandbox-provisioner cluster load-image\``,
    );
  return presence.nodesWithImage.length ? 0 : 1;
}
