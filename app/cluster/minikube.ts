// minikube for DeerFlow: start a profile with the data folder mounted at the same path in the
// node (--mount-string), and report the node IP, which is the NODE_HOST sandbox URLs use.
import { posix } from 'node:path';
import { hostPathSettings, InvalidPlanError, isWithin, normalizeDir, type PlanProblem } from './data-folders.js';
import { type RunOptions, runTool, runToolStreaming, type StreamOptions } from './tools.js';

export interface MinikubePlan {
  profile: string;
  dataDir: string;
  skillsDir?: string;
}

export const DEFAULT_MINIKUBE_PROFILE = 'deer-flow';

export function minikubePlanProblems(plan: MinikubePlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  // minikube's profile names become docker container and kubeconfig context names.
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(plan.profile))
    problems.push({
      option: '--name',
      message: `"${plan.profile}" is not a valid minikube profile name: letters, digits, ".", "_" and "-"`,
    });
  if (!posix.isAbsolute(plan.dataDir)) problems.push({ option: '--data-dir', message: `"${plan.dataDir}" is not an absolute path` });
  if (plan.skillsDir && !isWithin(plan.skillsDir, plan.dataDir))
    problems.push({
      option: '--skills-dir',
      message:
        `minikube mounts one folder at start; "${plan.skillsDir}" is outside --data-dir. ` +
        `Put the skills under ${plan.dataDir}, or run \`minikube mount ${plan.skillsDir}:${plan.skillsDir}\` beside it`,
    });
  return problems;
}

export function minikubeStartArgs(plan: MinikubePlan): string[] {
  const data = normalizeDir(plan.dataDir);
  return ['start', '-p', plan.profile, '--mount', `--mount-string=${data}:${data}`];
}

export async function minikubeIp(profile: string, opts: RunOptions = {}): Promise<string> {
  const r = await runTool('minikube', ['ip', '-p', profile], opts);
  const ip = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode !== 0 || !/^[0-9a-fA-F.:]+$/.test(ip))
    throw new Error(`minikube ip -p ${profile} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return ip;
}

/** Starts (or restarts) the profile with the mount, then reads its node IP. */
export async function startMinikube(plan: MinikubePlan, opts: StreamOptions = {}): Promise<{ context: string; nodeIp: string }> {
  const problems = minikubePlanProblems(plan);
  if (problems.length) throw new InvalidPlanError(problems);
  await runToolStreaming('minikube', minikubeStartArgs(plan), opts);
  return { context: plan.profile, nodeIp: await minikubeIp(plan.profile, opts) };
}

export async function deleteMinikube(profile: string, opts: StreamOptions = {}): Promise<void> {
  await runToolStreaming('minikube', ['delete', '-p', profile], opts);
}

/** The provisioner settings for sandboxes on this minikube node. */
export function provisionerEnvForMinikube(plan: MinikubePlan, nodeIp: string): Record<string, string> {
  return {
    ...hostPathSettings(plan.dataDir, plan.skillsDir),
    SANDBOX_SERVICE_TYPE: 'NodePort',
    NODE_HOST: nodeIp,
  };
}
