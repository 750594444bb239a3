// The provisioner's configuration: environment variables with the upstream names, parsed once
// into one typed object. Every problem is collected (not just the first) and reported with
// the variable, the value and what is allowed, so one start-up attempt shows everything to fix.
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { FieldsError } from '../errors.js';
import { type EgressSettings, parseEgress } from './egress.js';
import { isAbsoluteHostPath } from './host-path.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from './kube-names.js';
import { type NodePortRange, parseNodePortRange } from './node-port-range.js';
import { parseQuantity, type QuantityKind, quantityValue } from './quantity.js';

export type ServiceType = 'NodePort' | 'ClusterIP';

export interface ProvisionerConfig {
  namespace: string;
  sandboxImage: string;
  containerPort: number;
  serviceType: ServiceType;
  nodeHost: string;
  /** SANDBOX_NODE_PORT_RANGE: sandbox NodePorts come from here (the ports a kind cluster publishes). */
  nodePortRange: NodePortRange | undefined;
  /**
   * Where the skills come from on a hostPath setup: upstream's three `skills_view` projections
   * under DEER_FLOW_HOST_BASE_DIR ('views'), or the seed era's single SKILLS_HOST_PATH mount
   * ('single': only when that is set and DEER_FLOW_HOST_BASE_DIR is not).
   */
  skillsLayout: 'views' | 'single';
  /** SKILLS_HOST_PATH, for the 'single' layout only. */
  skillsHostPath: string | undefined;
  /** DEER_FLOW_HOST_BASE_DIR (default /.deer-flow): the skills views and the root extra mounts must lie under. */
  hostBaseDir: string | undefined;
  threadsHostPath: string;
  /** LARK_CLI_INIT_IMAGE / LARK_CLI_BROKER_IMAGE: Lark Pattern A and B, each only when its image is set. */
  larkCliInitImage: string | undefined;
  larkCliBrokerImage: string | undefined;
  /** DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS, forwarded verbatim to the broker sidecar. */
  larkBrokerDenySubcommands: string | undefined;
  /** Settings that work but are worth a line at start-up (a seed-era variable, one ignored). */
  warnings: string[];
  skillsPvcName: string | undefined;
  skillsPvcSubpathTemplate: string | undefined;
  userdataPvcName: string | undefined;
  kubeconfigPath: string | undefined;
  apiServer: string | undefined;
  insecureSkipTlsVerify: boolean;
  apiKey: string | undefined;
  host: string;
  port: number;
  /** Seconds a Pod may exist without its Service before the sweep removes it. */
  orphanGraceSeconds: number;
  /**
   * SWEEP_LEASE_NAME (ours): with several replicas, only the holder of this Lease in the
   * namespace sweeps. Unset: every instance sweeps (one instance, as upstream).
   */
  sweepLeaseName: string | undefined;
  resources: SandboxResourceSettings;
  /** SANDBOX_IDLE_SECONDS (ours, off by default): a sandbox unused for this long is removed. */
  idleSeconds: number | undefined;
  /** SANDBOX_TTL_SECONDS (ours, off by default): a sandbox older than this is removed. */
  ttlSeconds: number | undefined;
  /** SANDBOX_EGRESS / SANDBOX_EGRESS_ALLOW (ours, open by default): where sandboxes may connect. */
  egress: EgressSettings;
}

/**
 * The sandbox container's CPU and memory: SANDBOX_CPU_REQUEST / _LIMIT, SANDBOX_MEMORY_REQUEST /
 * _LIMIT over upstream's values; SANDBOX_MAX_CPU / _MEMORY allow a create to ask for other
 * limits up to them (ours; unset, a request's `resources` is refused).
 */
export interface SandboxResourceSettings {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  maxCpu: string | undefined;
  maxMemory: string | undefined;
}

export const DEFAULT_SANDBOX_IMAGE = 'enterprise-public-cn-beijing.cr.volces.com/vefaas-public/all-in-one-sandbox:latest';

/** A host name or IP address (IPv6 in brackets), without scheme or port. */
/**
 * A DNS name (labels of 1–63 letters, digits and inner "-"), an IPv4 address, or a bracketed
 * IPv6 address: what can stand as the host of an https URL unchanged. (A looser pattern let
 * `a..b` or `[::::]` through, and the URL built from it failed later.)
 */
export function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (host.startsWith('[') && host.endsWith(']')) return isIP(host.slice(1, -1)) === 6;
  if (isIP(host) === 4) return true;
  if (/^[0-9.]+$/.test(host)) return false; // looks like an address but is not one
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
}

/** One variable's problem: which variable, and the sentence that says what is wrong and the fix. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends FieldsError {
  readonly problems: string[];
  constructor(found: ConfigProblem[]) {
    const problems = found.map((p) => p.message);
    super(
      found.map((p) => ({ field: p.variable, message: p.message })),
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Reads one variable; blank counts as unset (compose files often pass `VAR=`). */
function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

const SUBPATH_PLACEHOLDERS = new Set(['user_id', 'thread_id']);

export function loadConfig(env: Env = process.env): ProvisionerConfig {
  const problems: ConfigProblem[] = [];
  const bad = (name: string, value: string, allowed: string) =>
    problems.push({ variable: name, message: `${name}=${JSON.stringify(value)} is not valid: ${allowed}` });

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      bad(name, raw, `expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  /** A whole number, or undefined when unset (a feature that is off until asked for). */
  const optionalInt = (name: string, min: number, max: number): number | undefined =>
    read(env, name) === undefined ? undefined : int(name, min, min, max);
  const bool = (name: string): boolean => {
    const raw = read(env, name);
    if (raw === undefined) return false;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    bad(name, raw, 'expected true or false');
    return false;
  };
  /** A quantity variable as text and value (cores or bytes); a bad one is a problem, and the fallback stands. */
  function quantity(name: string, kind: QuantityKind, fallback: string): { text: string; value: number };
  function quantity(name: string, kind: QuantityKind): { text: string; value: number } | undefined;
  function quantity(name: string, kind: QuantityKind, fallback?: string) {
    const raw = read(env, name);
    const parsed = raw === undefined ? undefined : parseQuantity(raw, kind);
    if (raw !== undefined && parsed && 'value' in parsed) return { text: raw, value: parsed.value };
    if (parsed && 'problem' in parsed) problems.push({ variable: name, message: `${name}: ${parsed.problem}` });
    return fallback === undefined ? undefined : { text: fallback, value: quantityValue(fallback, kind) };
  }
  const hostPath = (name: string, fallback: string): string => {
    const raw = read(env, name) ?? fallback;
    if (!isAbsoluteHostPath(raw)) bad(name, raw, 'expected an absolute path (e.g. /home/me/deer-flow/skills or C:\\deer-flow\\skills)');
    return raw;
  };
  const objectName = (name: string): string | undefined => {
    const raw = read(env, name);
    if (raw !== undefined && !DNS1123_SUBDOMAIN.test(raw)) {
      bad(name, raw, 'expected a Kubernetes object name (lower-case letters, digits, "-" and ".")');
    }
    return raw;
  };

  const image = (name: string): string | undefined => {
    const raw = read(env, name);
    if (raw !== undefined && /\s/.test(raw)) bad(name, raw, 'an image reference has no spaces');
    return raw;
  };

  // Skills and the base folder, as upstream today, with the seed era's single mount kept for
  // setups that still set only SKILLS_HOST_PATH (DEER_FLOW_HOST_BASE_DIR decides).
  const warnings: string[] = [];
  const threadsHostPath = hostPath('THREADS_HOST_PATH', '/.deer-flow/threads');
  const baseRaw = env.DEER_FLOW_HOST_BASE_DIR?.trim();
  const skillsRaw = read(env, 'SKILLS_HOST_PATH');
  const skills = skillsLayoutOf(baseRaw, skillsRaw, threadsHostPath, warnings, problems);
  if (skills.skillsHostPath !== undefined) hostPath('SKILLS_HOST_PATH', skills.skillsHostPath);
  if (baseRaw) hostPath('DEER_FLOW_HOST_BASE_DIR', baseRaw);

  const namespace = read(env, 'K8S_NAMESPACE') ?? 'deer-flow';
  if (!DNS1123_LABEL.test(namespace))
    bad('K8S_NAMESPACE', namespace, 'expected a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters');

  const sandboxImage = read(env, 'SANDBOX_IMAGE') ?? DEFAULT_SANDBOX_IMAGE;
  if (/\s/.test(sandboxImage)) bad('SANDBOX_IMAGE', sandboxImage, 'an image reference has no spaces');

  const serviceTypeRaw = read(env, 'SANDBOX_SERVICE_TYPE') ?? 'NodePort';
  const serviceType = (['NodePort', 'ClusterIP'] as const).find((t) => t.toLowerCase() === serviceTypeRaw.toLowerCase());
  if (!serviceType) bad('SANDBOX_SERVICE_TYPE', serviceTypeRaw, 'expected NodePort or ClusterIP');

  const nodeHost = read(env, 'NODE_HOST') ?? 'host.docker.internal';
  if (!isHostName(nodeHost)) bad('NODE_HOST', nodeHost, 'expected a host name or IP address, without scheme or port');

  const nodePortRangeRaw = read(env, 'SANDBOX_NODE_PORT_RANGE');
  let nodePortRange: NodePortRange | undefined;
  if (nodePortRangeRaw !== undefined) {
    const parsed = parseNodePortRange(nodePortRangeRaw);
    if (typeof parsed === 'string') bad('SANDBOX_NODE_PORT_RANGE', nodePortRangeRaw, parsed);
    else if (serviceType === 'ClusterIP')
      problems.push({
        variable: 'SANDBOX_NODE_PORT_RANGE',
        message: 'SANDBOX_NODE_PORT_RANGE is set but SANDBOX_SERVICE_TYPE is ClusterIP: the range only applies to NodePort Services',
      });
    else nodePortRange = parsed;
  }

  const skillsPvcSubpathTemplate = read(env, 'SKILLS_PVC_SUBPATH_TEMPLATE');
  if (skillsPvcSubpathTemplate !== undefined) {
    const unknown = [...skillsPvcSubpathTemplate.matchAll(/\{([^}]*)\}/g)]
      .map((m) => m[1] ?? '')
      .filter((p) => !SUBPATH_PLACEHOLDERS.has(p));
    if (unknown.length)
      bad('SKILLS_PVC_SUBPATH_TEMPLATE', skillsPvcSubpathTemplate, `unknown placeholder {${unknown[0]}}; allowed: {user_id}, {thread_id}`);
    else if (skillsPvcSubpathTemplate.startsWith('/') || skillsPvcSubpathTemplate.split('/').includes('..')) {
      bad('SKILLS_PVC_SUBPATH_TEMPLATE', skillsPvcSubpathTemplate, 'expected a relative path inside the claim (no leading "/", no "..")');
    }
  }

  const apiServer = read(env, 'K8S_API_SERVER');
  if (apiServer !== undefined) {
    let ok = false;
    try {
      const u = new URL(apiServer);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.pathname.replace(/\/$/, '') === '' && !u.username;
    } catch {
      ok = false;
    }
    if (!ok) bad('K8S_API_SERVER', apiServer, 'expected a URL like https://host.docker.internal:6443');
  }

  const apiKey = read(env, 'PROVISIONER_API_KEY');
  if (apiKey !== undefined && apiKey.length < 16)
    problems.push({
      variable: 'PROVISIONER_API_KEY',
      message: 'PROVISIONER_API_KEY is too short: use at least 16 characters (e.g. `openssl rand -hex 24`)',
    });

  const host = read(env, 'PROVISIONER_HOST') ?? '127.0.0.1';
  if (!isHostName(host) && !/^[0-9a-fA-F:.]+$/.test(host))
    // bare IPv6 such as :: is fine to listen on

    bad('PROVISIONER_HOST', host, 'expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0');

  function resourceSettings(): SandboxResourceSettings {
    const cpuRequest = quantity('SANDBOX_CPU_REQUEST', 'cpu', '100m');
    const cpuLimit = quantity('SANDBOX_CPU_LIMIT', 'cpu', '1000m');
    const memoryRequest = quantity('SANDBOX_MEMORY_REQUEST', 'memory', '256Mi');
    const memoryLimit = quantity('SANDBOX_MEMORY_LIMIT', 'memory', '1Gi');
    const maxCpu = quantity('SANDBOX_MAX_CPU', 'cpu');
    const maxMemory = quantity('SANDBOX_MAX_MEMORY', 'memory');
    const pairs = [
      ['SANDBOX_CPU_REQUEST', cpuRequest, 'SANDBOX_CPU_LIMIT', cpuLimit],
      ['SANDBOX_MEMORY_REQUEST', memoryRequest, 'SANDBOX_MEMORY_LIMIT', memoryLimit],
      ['SANDBOX_CPU_LIMIT', cpuLimit, 'SANDBOX_MAX_CPU', maxCpu],
      ['SANDBOX_MEMORY_LIMIT', memoryLimit, 'SANDBOX_MAX_MEMORY', maxMemory],
    ] as const;
    for (const [lowName, low, highName, high] of pairs)
      if (high && low.value > high.value)
        problems.push({
          variable: lowName,
          message: `${lowName} (${low.text}) is above ${highName} (${high.text}): lower it or raise ${highName}`,
        });
    return {
      cpuRequest: cpuRequest.text,
      cpuLimit: cpuLimit.text,
      memoryRequest: memoryRequest.text,
      memoryLimit: memoryLimit.text,
      maxCpu: maxCpu?.text,
      maxMemory: maxMemory?.text,
    };
  }

  const egress = parseEgress(read(env, 'SANDBOX_EGRESS'), read(env, 'SANDBOX_EGRESS_ALLOW'));
  problems.push(...egress.problems);
  const config: ProvisionerConfig = {
    namespace,
    sandboxImage,
    containerPort: int('SANDBOX_CONTAINER_PORT', 8080, 1, 65535),
    serviceType: serviceType ?? 'NodePort',
    nodeHost,
    nodePortRange,
    ...skills,
    threadsHostPath,
    larkCliInitImage: image('LARK_CLI_INIT_IMAGE'),
    larkCliBrokerImage: image('LARK_CLI_BROKER_IMAGE'),
    larkBrokerDenySubcommands: env.DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS || undefined,
    warnings,
    skillsPvcName: objectName('SKILLS_PVC_NAME'),
    skillsPvcSubpathTemplate,
    userdataPvcName: objectName('USERDATA_PVC_NAME'),
    kubeconfigPath: read(env, 'KUBECONFIG_PATH'),
    apiServer,
    insecureSkipTlsVerify: bool('K8S_INSECURE_SKIP_TLS_VERIFY'),
    apiKey,
    host,
    port: int('PROVISIONER_PORT', 8002, 0, 65535),
    orphanGraceSeconds: int('SANDBOX_ORPHAN_GRACE_SECONDS', 60, 1, 86_400),
    sweepLeaseName: objectName('SWEEP_LEASE_NAME'),
    resources: resourceSettings(),
    idleSeconds: optionalInt('SANDBOX_IDLE_SECONDS', 1, 31_536_000),
    ttlSeconds: optionalInt('SANDBOX_TTL_SECONDS', 1, 31_536_000),
    egress: egress.settings,
  };
  if (skillsPvcSubpathTemplate !== undefined && config.skillsPvcName === undefined) {
    problems.push({
      variable: 'SKILLS_PVC_SUBPATH_TEMPLATE',
      message: 'SKILLS_PVC_SUBPATH_TEMPLATE is set but SKILLS_PVC_NAME is not: the template only applies to a skills PVC',
    });
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

export const DEFAULT_HOST_BASE_DIR = '/.deer-flow';

/**
 * DEER_FLOW_HOST_BASE_DIR set: upstream's skills views under it (a leftover SKILLS_HOST_PATH is
 * ignored, as upstream ignores it). Unset with SKILLS_HOST_PATH set: the seed's single mount.
 * Neither: the views under /.deer-flow. Set but empty: upstream's fallback, THREADS_HOST_PATH's
 * parent when that ends in `threads`.
 */
function skillsLayoutOf(
  baseRaw: string | undefined,
  skillsRaw: string | undefined,
  threadsHostPath: string,
  warnings: string[],
  problems: ConfigProblem[],
): Pick<ProvisionerConfig, 'skillsLayout' | 'skillsHostPath' | 'hostBaseDir'> {
  if (baseRaw) {
    if (skillsRaw)
      warnings.push(
        `SKILLS_HOST_PATH is ignored: DEER_FLOW_HOST_BASE_DIR is set, so skills come from its skills_view folders (as upstream); unset SKILLS_HOST_PATH`,
      );
    return { skillsLayout: 'views', skillsHostPath: undefined, hostBaseDir: baseRaw };
  }
  if (baseRaw === undefined && skillsRaw) {
    warnings.push(
      `SKILLS_HOST_PATH mounts one skills folder at /mnt/skills, the seed-era layout; DeerFlow now mounts skills_view/{public,custom,legacy} from DEER_FLOW_HOST_BASE_DIR: set that instead`,
    );
    return { skillsLayout: 'single', skillsHostPath: skillsRaw, hostBaseDir: DEFAULT_HOST_BASE_DIR };
  }
  if (baseRaw === undefined) return { skillsLayout: 'views', skillsHostPath: undefined, hostBaseDir: DEFAULT_HOST_BASE_DIR };
  const threads = posix.normalize(threadsHostPath);
  const fallback = posix.basename(threads) === 'threads' ? posix.dirname(threads) : undefined;
  if (!fallback)
    problems.push({
      variable: 'DEER_FLOW_HOST_BASE_DIR',
      message: `DEER_FLOW_HOST_BASE_DIR is empty and THREADS_HOST_PATH (${threadsHostPath}) does not end in /threads: set DEER_FLOW_HOST_BASE_DIR to DeerFlow's base folder on the node`,
    });
  return { skillsLayout: 'views', skillsHostPath: undefined, hostBaseDir: fallback };
}

/** True for loopback listen addresses, where running without an API key is allowed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
