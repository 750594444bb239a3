// The sandbox image in the cluster: whether a node has it (from the nodes' status, which the
// kubelet fills with the images it holds, so it works for any cluster), and getting it there
// for kind and minikube: pulled into the local docker first when missing, then loaded.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { withTimeout } from '../kube/errors.js';
import type { ContextSummary } from './contexts.js';
import { dockerEngineProblem } from './docker-engine.js';
import { loadImageIntoKind } from './kind.js';
import { runTool, runToolStreaming, type StreamOptions, ToolFailedError } from './tools.js';

/**
 * The canonical form of an image reference as container runtimes report it:
 * `busybox` → `docker.io/library/busybox:latest`, `me/app:1` → `docker.io/me/app:1`.
 * A digest reference keeps its digest and gets no tag.
 */
export function canonicalImage(ref: string): string {
  let name = ref.trim();
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!hasRegistry) name = slash === -1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  if (name.includes('@')) return name;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? name : `${name}:latest`;
}

export interface ImagePresence {
  image: string;
  /** Nodes whose status lists the image. */
  nodesWithImage: string[];
  nodeCount: number;
}

/** Which nodes report having `image` (node.status.images; one API call). */
export async function imagePresence(kc: KubeConfig, image: string, timeoutMs = 5000): Promise<ImagePresence> {
  const server = kc.getCurrentCluster()?.server ?? '(none)';
  const nodes = await withTimeout(kc.makeApiClient(CoreV1Api).listNode(), timeoutMs, 'list Nodes', server);
  const wanted = canonicalImage(image);
  const nodesWithImage = nodes.items
    .filter((n) => (n.status?.images ?? []).some((i) => (i.names ?? []).some((name) => canonicalImage(name) === wanted)))
    .map((n) => n.metadata?.name ?? '');
  return { image, nodesWithImage, nodeCount: nodes.items.length };
}

/** Pulls `image` into the local docker unless it is there already. */
export async function ensureLocalImage(image: string, opts: StreamOptions = {}): Promise<'present' | 'pulled'> {
  const args = ['image', 'inspect', '--format', '{{.Id}}', image];
  const inspect = await runTool('docker', args, opts);
  if (inspect.exitCode === 0) return 'present';
  // "No such image" means pull it; an engine that does not answer means nothing can be pulled.
  if (dockerEngineProblem(inspect.stderr)) throw new ToolFailedError('docker', args, inspect.exitCode, inspect.stderr);
  opts.onLine?.(`${image} is not in the local docker: pulling it`);
  await runToolStreaming('docker', ['pull', image], opts);
  return 'pulled';
}

export type ImageTarget = { tool: 'kind'; cluster: string } | { tool: 'minikube'; profile: string };

/** Where images go for a context that kind or minikube made; undefined for any other cluster. */
export function imageTargetOf(context: Pick<ContextSummary, 'kind' | 'clusterName'> | undefined): ImageTarget | undefined {
  if (context?.kind === 'kind') return { tool: 'kind', cluster: context.clusterName };
  if (context?.kind === 'minikube') return { tool: 'minikube', profile: context.clusterName };
  return undefined;
}

/** Makes `image` available in the cluster's node: docker pull when needed, then kind/minikube load. */
export async function loadSandboxImage(image: string, target: ImageTarget, opts: StreamOptions = {}): Promise<void> {
  await ensureLocalImage(image, opts);
  if (target.tool === 'kind') await loadImageIntoKind(image, target.cluster, opts);
  else await runToolStreaming('minikube', ['image', 'load', image, '-p', target.profile], opts);
}
