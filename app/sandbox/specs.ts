// Pod and Service manifests for a sandbox (DESIGN §4), as pure functions of the configuration
// and the ids, plus reading a Sandbox back from the objects the cluster returns.
import type { V1Pod, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ProvisionerConfig } from '../config/config.js';
import { joinHostPath } from './host-path.js';
import type { Sandbox, SandboxStatus } from './model.js';
import { podName, serviceName } from './names.js';

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
  | 'skillsHostPath'
  | 'threadsHostPath'
  | 'skillsPvcName'
  | 'skillsPvcSubpathTemplate'
  | 'userdataPvcName'
>;

export interface SandboxIds {
  sandboxId: string;
  threadId: string;
  userId: string;
}

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

function volumes(config: SpecConfig, ids: SandboxIds): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const skills: V1Volume = config.skillsPvcName
    ? { name: 'skills', persistentVolumeClaim: { claimName: config.skillsPvcName, readOnly: true } }
    : { name: 'skills', hostPath: { path: config.skillsHostPath, type: 'Directory' } };
  const skillsMount: V1VolumeMount = { name: 'skills', mountPath: SKILLS_MOUNT, readOnly: true };
  if (config.skillsPvcName && config.skillsPvcSubpathTemplate)
    skillsMount.subPath = renderSubpathTemplate(config.skillsPvcSubpathTemplate, ids);

  const userData: V1Volume = config.userdataPvcName
    ? { name: 'user-data', persistentVolumeClaim: { claimName: config.userdataPvcName } }
    : { name: 'user-data', hostPath: { path: joinHostPath(config.threadsHostPath, ids.threadId, 'user-data'), type: 'DirectoryOrCreate' } };
  const userDataMount: V1VolumeMount = { name: 'user-data', mountPath: USER_DATA_MOUNT, readOnly: false };
  if (config.userdataPvcName) userDataMount.subPath = userDataPvcSubpath(ids);

  return { volumes: [skills, userData], mounts: [skillsMount, userDataMount] };
}

export function buildPod(config: SpecConfig, ids: SandboxIds): V1Pod {
  const { volumes: vols, mounts } = volumes(config, ids);
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: '/v1/sandbox', port: 'http' },
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
      containers: [
        {
          name: 'sandbox',
          image: config.sandboxImage,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: config.containerPort, protocol: 'TCP' }],
          readinessProbe: probe(5, 5),
          livenessProbe: probe(10, 10),
          resources: {
            requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '500Mi' },
            limits: { cpu: '1000m', memory: '1Gi', 'ephemeral-storage': '500Mi' },
          },
          securityContext: { privileged: false },
          volumeMounts: mounts,
        },
      ],
      volumes: vols,
    },
  };
}

/** `nodePort`: a fixed port (from SANDBOX_NODE_PORT_RANGE); without it Kubernetes picks one. */
export function buildService(config: SpecConfig, sandboxId: string, nodePort?: number): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(sandboxId), namespace: config.namespace, labels: sandboxLabels(sandboxId) },
    spec: {
      type: config.serviceType,
      selector: { [SANDBOX_ID_LABEL]: sandboxId },
      ports: [
        {
          name: 'http',
          port: config.containerPort,
          targetPort: 'http',
          protocol: 'TCP',
          ...(nodePort !== undefined && config.serviceType === 'NodePort' ? { nodePort } : {}),
        },
      ],
    },
  };
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
  config: Pick<SpecConfig, 'nodeHost' | 'namespace'>,
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
  };
}
