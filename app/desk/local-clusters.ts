// Local-cluster actions started from the UI: create a kind cluster or start minikube for
// DeerFlow (then use it, with its provisioner settings), delete a kind cluster, load the
// sandbox image, export the container kubeconfig. Long ones are jobs (output streamed,
// cancellable). The same adapters as `sandbox-provisioner cluster …` (app/cluster).
import { statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { summarizeContexts } from '../cluster/contexts.js';
import { imageTargetOf, loadSandboxImage } from '../cluster/images.js';
import { createKindCluster, deleteKindCluster } from '../cluster/kind.js';
import { kindClusterNameProblem, provisionerEnvForKind } from '../cluster/kind-config.js';
import { provisionerEnvForMinikube, startMinikube } from '../cluster/minikube.js';
import { type ClusterRequest, kindPlanFor, minikubePlanFor } from '../cluster/plans.js';
import { isHostName } from '../config/config.js';
import { containerKubeconfig, FileExistsError, writePrivateFile } from '../kube/container-kubeconfig.js';
import { ValidationError } from '../sandbox/provisioner.js';
import type { ClusterStatus, JobResults, JobView } from './contract.js';
import type { JobContext, JobRegistry } from './jobs.js';

export type ClusterCreateRequest = ClusterRequest & { name: string; dataDir: string };
export interface ContainerKubeconfigRequest {
  path: string;
  host?: string;
  replace?: boolean;
}
export interface ContainerKubeconfigExport {
  path: string;
  apiServer: string;
  warnings: string[];
}

export interface DeskLocalClusterDeps {
  jobs: JobRegistry;
  /** The cluster in use: its kubeconfig (with the context chosen) and that context's name; throws when there is none. */
  connection: () => { kc: KubeConfig; context: string };
  sandboxImage: () => string;
  /** Saves provisioner settings (environment names → values). */
  applySettings: (env: Record<string, string>) => void;
  useContext: (name: string) => Promise<ClusterStatus>;
  /** The set of local clusters changed (the Cluster screen reloads). */
  clustersChanged: () => void;
}

export class DeskLocalClusters {
  constructor(private readonly deps: DeskLocalClusterDeps) {}

  async createKind(body: ClusterCreateRequest): Promise<JobView> {
    const plan = await kindPlanFor(body); // its problems are field problems (InvalidPlanError)
    return this.deps.jobs.start('kind-create', `Create kind cluster "${plan.name}"`, async (ctx) => {
      const { context } = await createKindCluster(plan, { onLine: ctx.line, signal: ctx.signal });
      return this.useNewCluster(ctx, context, provisionerEnvForKind(plan));
    });
  }

  /** `minikube start` with the data folder mounted; its node IP becomes NODE_HOST. */
  async createMinikube(body: ClusterCreateRequest): Promise<JobView> {
    const plan = minikubePlanFor(body);
    return this.deps.jobs.start('minikube-start', `Start minikube "${plan.profile}"`, async (ctx) => {
      const { context, nodeIp } = await startMinikube(plan, { onLine: ctx.line, signal: ctx.signal });
      ctx.line(`started: node IP ${nodeIp} (NODE_HOST)`);
      return this.useNewCluster(ctx, context, provisionerEnvForMinikube(plan, nodeIp));
    });
  }

  /** After a cluster was made: its provisioner settings saved, its context in use. */
  private async useNewCluster(ctx: JobContext, context: string, env: Record<string, string>): Promise<JobResults['kind-create']> {
    ctx.line(`switching to context ${context} and applying the provisioner settings`);
    this.deps.applySettings(env);
    await this.deps.useContext(context);
    return { context, env };
  }

  deleteKind(name: string): JobView {
    const problem = kindClusterNameProblem(name);
    if (problem) throw new ValidationError('name', problem);
    return this.deps.jobs.start('kind-delete', `Delete kind cluster "${name}"`, async (ctx) => {
      await deleteKindCluster(name, { onLine: ctx.line, signal: ctx.signal });
      this.deps.clustersChanged();
      return {};
    });
  }

  /** The container kubeconfig of the context in use, written to `path` (mode 600, never over a file unless `replace`). */
  exportContainerKubeconfig(body: ContainerKubeconfigRequest): ContainerKubeconfigExport {
    if (!isAbsolute(body.path)) throw new ValidationError('path', 'must be an absolute path');
    const folder = dirname(body.path);
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory())
      throw new ValidationError('path', `the folder ${folder} does not exist; create it first or choose another place`);
    if (body.host !== undefined && !isHostName(body.host))
      throw new ValidationError('host', 'must be a host name (such as host.docker.internal) or an IP address');
    const out = containerKubeconfig(this.deps.connection().kc, { host: body.host });
    try {
      writePrivateFile(body.path, out.yaml, { replace: body.replace });
    } catch (e) {
      if (e instanceof FileExistsError) throw new ValidationError('path', `${body.path} exists; choose another file or allow replacing it`);
      throw e;
    }
    return { path: body.path, apiServer: out.apiServer, warnings: out.warnings };
  }

  /** Loads SANDBOX_IMAGE into the kind or minikube cluster of the context in use. */
  loadImage(): JobView {
    const conn = this.deps.connection();
    const target = imageTargetOf(summarizeContexts(conn.kc).find((c) => c.name === conn.context));
    if (!target)
      throw new ValidationError(
        'context',
        `the current context (${conn.context}) is not a kind or minikube cluster; load the image with your cluster's own tooling`,
      );
    const image = this.deps.sandboxImage();
    return this.deps.jobs.start('load-image', `Load ${image}`, async (ctx) => {
      await loadSandboxImage(image, target, { onLine: ctx.line, signal: ctx.signal });
      return {};
    });
  }
}
