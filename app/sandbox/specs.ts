// Pod and Service manifests for a sandbox (docs/provisioner.md), as pure functions of the configuration
// and the ids, plus reading a Sandbox back from the objects the cluster returns.
import type { V1Container, V1Pod, V1SecurityContext, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ProvisionerConfig } from '../config/config.js';
import { joinHostPath } from '../config/host-path.js';
import { expiryFields } from './expiry.js';
import {
  type CheckedMount,
  LARK_BROKER_URL,
  LARK_CONFIG_PATH,
  LARK_DATA_PATH,
  LARK_LOCKS_PATH,
  LARK_RUNTIME_PATH,
  type LarkMode,
} from './extra-mounts.js';
import type { Sandbox, SandboxStatus } from './model.js';
import { podName, serviceName } from './names.js';
import { type RequestedResources, resourcesFor } from './resources.js';

export const SANDBOX_SELECTOR = 'app=deer-flow-sandbox';
export const SANDBOX_ID_LABEL = 'sandbox-id';
export const THREAD_ID_ANNOTATION = 'deer-flow/thread-id';
export const USER_ID_ANNOTATION = 'deer-flow/user-id';
export const SKILLS_MOUNT = '/mnt/skills';
export const USER_DATA_MOUNT = '/mnt/user-data';

export type SpecConfig = Pick<
  ProvisionerConfig,
  | 'namespace'
  | 'sandboxImage'
  | 'containerPort'
  | 'serviceType'
  | 'nodeHost'
  | 'skillsLayout'
  | 'skillsHostPath'
  | 'hostBaseDir'
  | 'threadsHostPath'
  | 'larkCliInitImage'
  | 'larkCliBrokerImage'
  | 'larkBrokerDenySubcommands'
  | 'skillsPvcName'
  | 'skillsPvcSubpathTemplate'
  | 'userdataPvcName'
  | 'resources'
>;

export interface SandboxIds {
  sandboxId: string;
  threadId: string;
  userId: string;
}

/** What a create request adds to the Pod: checked extra mounts, the Lark pattern, resources. */
export interface SandboxExtras {
  mounts: CheckedMount[];
  lark: LarkMode;
  /** Checked against SANDBOX_MAX_* (requestedResourcesProblem) before it gets here. */
  resources?: RequestedResources | undefined;
}

const NO_EXTRAS: SandboxExtras = { mounts: [], lark: 'none' };

export const namespaceLabels = () => ({ 'app.kubernetes.io/name': 'deer-flow', 'app.kubernetes.io/component': 'sandbox' });

export const sandboxLabels = (sandboxId: string) => ({
  app: 'deer-flow-sandbox',
  [SANDBOX_ID_LABEL]: sandboxId,
  ...namespaceLabels(),
});

/** Fills {user_id} and {thread_id}; ids are validated before they get here. */
export function renderSubpathTemplate(template: string, ids: Pick<SandboxIds, 'threadId' | 'userId'>): string {
  return template.replaceAll('{user_id}', ids.userId).replaceAll('{thread_id}', ids.threadId);
}

export function userDataPvcSubpath(ids: Pick<SandboxIds, 'threadId' | 'userId'>): string {
  return `deer-flow/users/${ids.userId}/threads/${ids.threadId}/user-data`;
}

const SKILL_VIEWS = ['public', 'custom', 'legacy'] as const;

/** The skills: three read-only skills_view projections (upstream today), one folder (seed era), or a claim. */
function skillsVolumes(config: SpecConfig, ids: SandboxIds): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  if (config.skillsPvcName) {
    const mount: V1VolumeMount = { name: 'skills', mountPath: SKILLS_MOUNT, readOnly: true };
    if (config.skillsPvcSubpathTemplate) mount.subPath = renderSubpathTemplate(config.skillsPvcSubpathTemplate, ids);
    return { volumes: [{ name: 'skills', persistentVolumeClaim: { claimName: config.skillsPvcName, readOnly: true } }], mounts: [mount] };
  }
  if (config.skillsLayout === 'single' && config.skillsHostPath) {
    return {
      volumes: [{ name: 'skills', hostPath: { path: config.skillsHostPath, type: 'Directory' } }],
      mounts: [{ name: 'skills', mountPath: SKILLS_MOUNT, readOnly: true }],
    };
  }
  const base = config.hostBaseDir ?? '/.deer-flow';
  const pathOf = (view: (typeof SKILL_VIEWS)[number]) =>
    view === 'public' ? joinHostPath(base, 'skills_view', 'public') : joinHostPath(base, 'users', ids.userId, 'skills_view', view);
  return {
    volumes: SKILL_VIEWS.map((v) => ({ name: `skills-${v}`, hostPath: { path: pathOf(v), type: 'Directory' } })),
    mounts: SKILL_VIEWS.map((v) => ({ name: `skills-${v}`, mountPath: `${SKILLS_MOUNT}/${v}`, readOnly: true })),
  };
}

/** One volume from a request mount: a host folder (RO must exist, RW is made), or the user-data claim at deer-flow/<relative>. */
function mountVolume(config: SpecConfig, name: string, m: CheckedMount): { volume: V1Volume; subPath: string | undefined } {
  if (config.userdataPvcName)
    return { volume: { name, persistentVolumeClaim: { claimName: config.userdataPvcName } }, subPath: `deer-flow/${m.relative}` };
  return { volume: { name, hostPath: { path: m.hostPath, type: m.readOnly ? 'Directory' : 'DirectoryOrCreate' } }, subPath: undefined };
}

const NOT_PRIVILEGED: V1SecurityContext = { privileged: false, allowPrivilegeEscalation: false };
const LARK_SIDECAR_MOUNTS: [string, string, string][] = [
  [LARK_CONFIG_PATH, 'lark-cli-config', '/var/lark/config'],
  [LARK_LOCKS_PATH, 'lark-cli-locks', '/var/lark/config/locks'],
  [LARK_DATA_PATH, 'lark-cli-data', '/var/lark/data'],
];

/**
 * Every volume and the sandbox container's mounts, in upstream's order: skills, user-data,
 * extra-{i}, lark-cli-runtime, lark-cli-{config,locks,data}; plus the Lark init container and
 * broker sidecar when asked for and configured. An extra mount at a path a built-in mount
 * already has is skipped: the Gateway always forwards /mnt/skills/custom with the same host
 * folder, which upstream then fails on ("mountPath must be unique").
 */
function podVolumes(
  config: SpecConfig,
  ids: SandboxIds,
  extras: SandboxExtras,
): {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  initContainers: V1Container[];
  sidecars: V1Container[];
  env: { name: string; value: string }[];
} {
  const skills = skillsVolumes(config, ids);
  const userData: V1Volume = config.userdataPvcName
    ? { name: 'user-data', persistentVolumeClaim: { claimName: config.userdataPvcName } }
    : { name: 'user-data', hostPath: { path: joinHostPath(config.threadsHostPath, ids.threadId, 'user-data'), type: 'DirectoryOrCreate' } };
  const userDataMount: V1VolumeMount = { name: 'user-data', mountPath: USER_DATA_MOUNT, readOnly: false };
  if (config.userdataPvcName) userDataMount.subPath = userDataPvcSubpath(ids);
  const volumes = [...skills.volumes, userData];
  const mounts = [...skills.mounts, userDataMount];

  const builtIn = new Set(mounts.map((m) => m.mountPath));
  if (extras.lark !== 'none') builtIn.add(LARK_RUNTIME_PATH);
  const brokerOwned = new Set(extras.lark === 'broker' ? [LARK_CONFIG_PATH, LARK_LOCKS_PATH, LARK_DATA_PATH, LARK_RUNTIME_PATH] : []);
  const forSandbox = extras.mounts.filter((m) => !builtIn.has(m.containerPath) && !brokerOwned.has(m.containerPath));
  forSandbox.forEach((m, i) => {
    const { volume, subPath } = mountVolume(config, `extra-${i}`, m);
    volumes.push(volume);
    mounts.push({ name: `extra-${i}`, mountPath: m.containerPath, readOnly: m.readOnly, ...(subPath ? { subPath } : {}) });
  });

  const initContainers: V1Container[] = [];
  const sidecars: V1Container[] = [];
  const env: { name: string; value: string }[] = [];
  if (extras.lark !== 'none') {
    volumes.push({ name: 'lark-cli-runtime', emptyDir: {} });
    mounts.push({ name: 'lark-cli-runtime', mountPath: LARK_RUNTIME_PATH, readOnly: true });
    const broker = extras.lark === 'broker';
    initContainers.push({
      name: broker ? 'lark-cli-shim-init' : 'lark-cli-init',
      image: (broker ? config.larkCliBrokerImage : config.larkCliInitImage) as string,
      imagePullPolicy: 'IfNotPresent',
      ...(broker ? { args: ['install-shim', LARK_RUNTIME_PATH] } : {}),
      env: [{ name: 'LARK_CLI_RUNTIME_DEST', value: LARK_RUNTIME_PATH }],
      volumeMounts: [{ name: 'lark-cli-runtime', mountPath: LARK_RUNTIME_PATH }],
      securityContext: NOT_PRIVILEGED,
    });
    if (broker) {
      const sidecarMounts: V1VolumeMount[] = [];
      for (const [requestPath, name, mountPath] of LARK_SIDECAR_MOUNTS) {
        const m = extras.mounts.find((x) => x.containerPath === requestPath);
        if (!m) continue; // the client did not send it: no volume
        const { volume, subPath } = mountVolume(config, name, m);
        volumes.push(volume);
        sidecarMounts.push({ name, mountPath, readOnly: m.readOnly, ...(subPath ? { subPath } : {}) });
      }
      sidecars.push({
        name: 'lark-cli-broker',
        image: config.larkCliBrokerImage as string,
        imagePullPolicy: 'IfNotPresent',
        args: ['serve'],
        env: [
          { name: 'LARKSUITE_CLI_CONFIG_DIR', value: '/var/lark/config' },
          { name: 'LARKSUITE_CLI_DATA_DIR', value: '/var/lark/data' },
          ...(config.larkBrokerDenySubcommands
            ? [{ name: 'DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS', value: config.larkBrokerDenySubcommands }]
            : []),
        ],
        volumeMounts: sidecarMounts,
        securityContext: NOT_PRIVILEGED,
      });
      env.push({ name: 'DEERFLOW_LARK_BROKER_URL', value: LARK_BROKER_URL });
    }
  }
  return { volumes, mounts, initContainers, sidecars, env };
}

export function buildPod(config: SpecConfig, ids: SandboxIds, extras: SandboxExtras = NO_EXTRAS): V1Pod {
  const { volumes: vols, mounts, initContainers, sidecars, env } = podVolumes(config, ids, extras);
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: '/v1/sandbox', port: config.containerPort },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(ids.sandboxId),
      namespace: config.namespace,
      labels: sandboxLabels(ids.sandboxId),
      annotations: { [THREAD_ID_ANNOTATION]: ids.threadId, [USER_ID_ANNOTATION]: ids.userId },
    },
    spec: {
      restartPolicy: 'Always',
      // Agent code runs here: it gets no Kubernetes API credentials.
      automountServiceAccountToken: false,
      ...(initContainers.length ? { initContainers } : {}),
      containers: [
        {
          name: 'sandbox',
          image: config.sandboxImage,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: config.containerPort, protocol: 'TCP' }],
          readinessProbe: probe(5, 5),
          livenessProbe: probe(10, 10),
          resources: resourcesFor(config.resources, extras.resources),
          ...(env.length ? { env } : {}),
          // As upstream: not privileged; privilege escalation left allowed (sudo in the image).
          securityContext: { privileged: false, allowPrivilegeEscalation: true },
          volumeMounts: mounts,
        },
        ...sidecars,
      ],
      volumes: vols,
    },
  };
}

/** `nodePort`: a fixed port (from SANDBOX_NODE_PORT_RANGE); without it Kubernetes picks one. */
/**
 * The sandbox's Service. Given its Pod, the Service is owned by it: deleting the Pod is
 * deleting the sandbox, and Kubernetes' garbage collector removes the Service once the Pod is
 * gone (one DELETE instead of two, and no Service left behind by a Pod deleted by hand).
 * Upstream's Service has no owner; the field changes nothing DeerFlow reads.
 */
export function buildService(config: SpecConfig, sandboxId: string, nodePort?: number, owner?: V1Pod): V1Service {
  const uid = owner?.metadata?.uid;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(sandboxId),
      namespace: config.namespace,
      labels: sandboxLabels(sandboxId),
      ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: podName(sandboxId), uid }] } : {}),
    },
    spec: {
      type: config.serviceType,
      selector: { [SANDBOX_ID_LABEL]: sandboxId },
      ports: [
        {
          name: 'http',
          port: config.containerPort,
          targetPort: config.containerPort,
          protocol: 'TCP',
          ...(nodePort !== undefined && config.serviceType === 'NodePort' ? { nodePort } : {}),
        },
      ],
    },
  };
}

/** The UID of the Pod that owns this Service, if one does (Services made by upstream or by our earlier versions have none). */
export function ownerPodUid(service: V1Service | undefined): string | undefined {
  return service?.metadata?.ownerReferences?.find((o) => o.kind === 'Pod' && o.apiVersion === 'v1')?.uid;
}

export function nodePortOf(service: V1Service | undefined): number | null {
  return service?.spec?.ports?.find((p) => p.name === 'http')?.nodePort ?? null;
}

/** The URL a DeerFlow backend uses, or '' when the Service gives none (yet). */
export function sandboxUrl(config: Pick<SpecConfig, 'nodeHost' | 'namespace'>, service: V1Service | undefined): string {
  if (!service?.metadata?.name) return '';
  if (service.spec?.type === 'ClusterIP') {
    const port = service.spec.ports?.find((p) => p.name === 'http')?.port;
    return port ? `http://${service.metadata.name}.${service.metadata.namespace ?? config.namespace}.svc.cluster.local:${port}` : '';
  }
  const nodePort = nodePortOf(service);
  return nodePort ? `http://${config.nodeHost}:${nodePort}` : '';
}

const PHASES = new Set<SandboxStatus>(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

export function statusOf(pod: V1Pod | undefined): SandboxStatus {
  if (!pod) return 'NotFound';
  const phase = pod.status?.phase as SandboxStatus | undefined;
  return phase && PHASES.has(phase) ? phase : 'Unknown';
}

const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

/** What to do when the node cannot get the sandbox image (local clusters often cannot pull it). */
export const IMAGE_PULL_HINT =
  'the node cannot get the sandbox image: load it into a local cluster with `sandbox-provisioner cluster load-image` ' +
  '(Cluster screen: "Load sandbox image"), or check SANDBOX_IMAGE';

/** Why a Pod is not running, in Kubernetes' words (waiting reason of the container, or a condition). */
export function reasonOf(pod: V1Pod | undefined): string | null {
  if (pod?.metadata?.deletionTimestamp) return 'Deleting: the Pod is shutting down (its Service goes with it)';
  const waiting = pod?.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting?.reason) {
    const said = waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason;
    return IMAGE_PULL_REASONS.has(waiting.reason) ? `${said} (${IMAGE_PULL_HINT})` : said;
  }
  const unschedulable = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable?.reason) return unschedulable.message ? `${unschedulable.reason}: ${unschedulable.message}` : unschedulable.reason;
  return null;
}

/** Joins a sandbox's Pod and Service (either may be missing) into one Sandbox. */
export function toSandbox(
  config: Pick<SpecConfig, 'nodeHost' | 'namespace'> & Partial<Pick<ProvisionerConfig, 'idleSeconds' | 'ttlSeconds'>>,
  sandboxId: string,
  pod: V1Pod | undefined,
  service: V1Service | undefined,
): Sandbox {
  const created = pod?.metadata?.creationTimestamp ?? service?.metadata?.creationTimestamp;
  return {
    sandbox_id: sandboxId,
    sandbox_url: sandboxUrl(config, service),
    status: statusOf(pod),
    thread_id: pod?.metadata?.annotations?.[THREAD_ID_ANNOTATION] ?? null,
    user_id: pod?.metadata?.annotations?.[USER_ID_ANNOTATION] ?? null,
    ready: pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    node_port: nodePortOf(service),
    created_at: created ? new Date(created).toISOString() : null,
    reason: reasonOf(pod),
    ...expiryFields(pod, { idleSeconds: config.idleSeconds, ttlSeconds: config.ttlSeconds }),
  };
}
