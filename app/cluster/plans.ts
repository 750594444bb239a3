// Cluster plans from what a person asked for (CLI options or the Cluster screen's form): one
// place that checks the folders exist, parses the NodePort range, picks the listen address,
// and gathers every problem, with the option and the field it concerns (InvalidPlanError), before anything runs.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseNodePortRange } from '../config/node-port-range.js';
import { InvalidPlanError, type PlanProblem } from './data-folders.js';
import { defaultListenAddress } from './kind.js';
import { DEFAULT_KIND_CLUSTER_NAME, DEFAULT_KIND_NODE_PORTS, type KindClusterPlan, kindPlanProblems } from './kind-config.js';
import { DEFAULT_MINIKUBE_PROFILE, type MinikubePlan, minikubePlanProblems } from './minikube.js';

export interface ClusterRequest {
  name?: string;
  /** Absolute (the CLI resolves relative paths first). */
  dataDir?: string;
  skillsDir?: string;
  nodePorts?: string;
  listenAddress?: string;
  /** kind only: the node image. */
  nodeImage?: string;
}

function folderProblems(req: ClusterRequest): PlanProblem[] {
  const problems: PlanProblem[] = [];
  if (!req.dataDir)
    problems.push({ option: '--data-dir', message: 'required: the DeerFlow data folder (backend/.deer-flow) to mount into the node' });
  for (const [option, dir] of [
    ['--data-dir', req.dataDir],
    ['--skills-dir', req.skillsDir],
  ] as const) {
    if (dir && isAbsolute(dir) && !(existsSync(dir) && statSync(dir).isDirectory()))
      problems.push({ option, message: `${dir} is not a folder; create it, or point to DeerFlow's data folder (backend/.deer-flow)` });
  }
  return problems;
}

const fail = (problems: PlanProblem[]) => {
  if (problems.length) throw new InvalidPlanError(problems);
};

export async function kindPlanFor(req: ClusterRequest): Promise<KindClusterPlan> {
  const problems = folderProblems(req);
  const ports = req.nodePorts === undefined ? DEFAULT_KIND_NODE_PORTS : parseNodePortRange(req.nodePorts);
  if (typeof ports === 'string') problems.push({ option: '--node-ports', message: `"${req.nodePorts}" is not valid: ${ports}` });
  fail(problems);
  const plan: KindClusterPlan = {
    name: req.name ?? DEFAULT_KIND_CLUSTER_NAME,
    dataDir: req.dataDir as string,
    ...(req.skillsDir ? { skillsDir: req.skillsDir } : {}),
    nodePorts: typeof ports === 'string' ? DEFAULT_KIND_NODE_PORTS : ports,
    listenAddress: req.listenAddress ?? (await defaultListenAddress()),
    ...(req.nodeImage !== undefined ? { nodeImage: req.nodeImage } : {}),
  };
  fail(kindPlanProblems(plan));
  return plan;
}

export function minikubePlanFor(req: ClusterRequest): MinikubePlan {
  fail(folderProblems(req));
  const plan: MinikubePlan = {
    profile: req.name ?? DEFAULT_MINIKUBE_PROFILE,
    dataDir: req.dataDir as string,
    ...(req.skillsDir ? { skillsDir: req.skillsDir } : {}),
  };
  fail(minikubePlanProblems(plan));
  return plan;
}
