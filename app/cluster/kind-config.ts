// The kind cluster config for DeerFlow (pure): the data folders mounted into the node at the
// same paths, so hostPath volumes see the developer's files; and a small NodePort range
// published on the host, which the provisioner then allocates sandbox ports from
// (SANDBOX_NODE_PORT_RANGE), so sandbox URLs work from the host and from containers.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { formatNodePortRange, type NodePortRange, nodePortRangeSize } from '../config/node-port-range.js';
import { hostPathSettings, isWithin, normalizeDir, type PlanProblem } from './data-folders.js';

export interface KindClusterPlan {
  /** Cluster name; kubeconfig context becomes `kind-<name>`. */
  name: string;
  /** DeerFlow's base directory (holds threads/, users/, …), absolute. */
  dataDir: string;
  /** DeerFlow's skills directory when it is not under dataDir (upstream: the repo's skills/). */
  skillsDir?: string;
  nodePorts: NodePortRange;
  /**
   * Host address the NodePorts and the API server are published on: 127.0.0.1, or on Linux the
   * docker bridge gateway, the address host.docker.internal means in a container there.
   */
  listenAddress: string;
  /** The kind node image (`kind create cluster --image`); kind's default when absent. */
  nodeImage?: string;
}

export const DEFAULT_KIND_CLUSTER_NAME = 'deer-flow';
/**
 * 50 ports inside the API server's static band (30000-30085 of the default range), which its
 * own random NodePort allocations avoid: Services of other apps rarely take them.
 */
export const DEFAULT_KIND_NODE_PORTS: NodePortRange = { from: 30000, to: 30049 };
/** Each port is one docker port mapping; more make node start-up slow and are rarely needed. */
export const MAX_PUBLISHED_NODE_PORTS = 200;

/** kind's own rule (pkg/internal/apis/config/validate.go); kind checks it too, we say it first. */
export function kindClusterNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9.-]+$/.test(name)) return `"${name}" is not a valid kind cluster name: use lower-case letters, digits, "." and "-"`;
  // The node container is <name>-control-plane and the context kind-<name>; kind warns past 50.
  if (name.length > 50) return `"${name}" is too long for a kind cluster name: at most 50 characters`;
  return undefined;
}

/** Problems with a plan, each naming the option to change; empty when it can be generated. */
export function kindPlanProblems(plan: KindClusterPlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const nameProblem = kindClusterNameProblem(plan.name);
  if (nameProblem) problems.push({ option: '--name', message: nameProblem });
  for (const [option, dir] of [
    ['--data-dir', plan.dataDir],
    ['--skills-dir', plan.skillsDir],
  ] as const) {
    if (dir === undefined) continue;
    if (!posix.isAbsolute(dir))
      problems.push({
        option,
        message: `"${dir}" is not an absolute POSIX path (kind mounts it at the same path inside its Linux node; on Windows use a WSL2 path)`,
      });
    else if (normalizeDir(dir) === '/')
      problems.push({ option, message: `mounting "/" into the node is refused; choose DeerFlow's data folder` });
  }
  if (nodePortRangeSize(plan.nodePorts) > MAX_PUBLISHED_NODE_PORTS)
    problems.push({
      option: '--node-ports',
      message: `${formatNodePortRange(plan.nodePorts)} publishes more than ${MAX_PUBLISHED_NODE_PORTS} ports; use a smaller range`,
    });
  if (!/^[0-9a-fA-F.:]+$/.test(plan.listenAddress))
    problems.push({ option: '--listen-address', message: `"${plan.listenAddress}" is not an IP address` });
  if (plan.nodeImage !== undefined && !isImageReference(plan.nodeImage))
    problems.push({
      option: '--image',
      message: `"${plan.nodeImage}" is not an image reference: give one such as kindest/node:v1.36.3 (no spaces, not starting with "-")`,
    });
  return problems;
}

/** A docker image reference as kind passes it on: repository[:tag][@digest], nothing that reads as a flag. */
export function isImageReference(ref: string): boolean {
  return /^[a-z0-9][a-z0-9._/:@-]*$/i.test(ref) && ref.length <= 512;
}

/** The mounts, without duplicates (a skills folder inside the data folder is already there). */
function mountedDirs(plan: KindClusterPlan): string[] {
  const data = normalizeDir(plan.dataDir);
  return plan.skillsDir === undefined || isWithin(plan.skillsDir, data) ? [data] : [data, normalizeDir(plan.skillsDir)];
}

/** The kind `Cluster` object (kind.x-k8s.io/v1alpha4). */
export function buildKindConfig(plan: KindClusterPlan): Record<string, unknown> {
  const ports = [];
  for (let p = plan.nodePorts.from; p <= plan.nodePorts.to; p++)
    ports.push({ containerPort: p, hostPort: p, listenAddress: plan.listenAddress, protocol: 'TCP' });
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: plan.name,
    // kind publishes its API server on 127.0.0.1 unless told; on Linux a container reaches the
    // host only at the bridge gateway (host.docker.internal), so publish it where the NodePorts
    // are. kind adds this address to the API server certificate, so TLS stays verified.
    networking: { apiServerAddress: plan.listenAddress },
    nodes: [
      {
        role: 'control-plane',
        extraMounts: mountedDirs(plan).map((dir) => ({ hostPath: dir, containerPath: dir })),
        extraPortMappings: ports,
      },
    ],
  };
}

export function kindConfigYaml(plan: KindClusterPlan): string {
  const header = [
    '# kind cluster for DeerFlow sandboxes (generated by `sandbox-provisioner cluster kind-config`).',
    `# Data folders are mounted at the same paths in the node; NodePorts ${formatNodePortRange(plan.nodePorts)} are`,
    `# published on ${plan.listenAddress}. Run the provisioner with the settings printed beside this file.`,
  ];
  return `${header.join('\n')}\n${stringify(buildKindConfig(plan))}`;
}

/** The provisioner settings that go with the cluster (hostPath volumes and NodePorts). */
export function provisionerEnvForKind(plan: KindClusterPlan): Record<string, string> {
  return {
    ...hostPathSettings(plan.dataDir, plan.skillsDir),
    SANDBOX_SERVICE_TYPE: 'NodePort',
    SANDBOX_NODE_PORT_RANGE: formatNodePortRange(plan.nodePorts),
    NODE_HOST: 'host.docker.internal',
  };
}
