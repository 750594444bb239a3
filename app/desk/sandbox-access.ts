// Getting into a sandbox from the app (issue #13): its terminals and its files, over the
// connection the desk core holds. Each use counts as a use of the sandbox (idle expiry).
import { existsSync } from 'node:fs';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { isWithin } from '../cluster/data-folders.js';
import type { ProvisionerConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { startTtyShell } from '../kube/exec-tty.js';
import { forwardSocket } from '../kube/port-forward.js';
import { podName } from '../sandbox/names.js';
import { USER_DATA_MOUNT } from '../sandbox/specs.js';
import { SandboxForwards } from './port-forwards.js';
import { ClusterFiles, HostFiles, type SandboxFiles } from './sandbox-files.js';
import { DeskTerminals } from './terminals.js';

export interface SandboxAccessDeps {
  /** The cluster in use now (throws when there is none). */
  connection: () => { kc: KubeConfig; pod: (id: string) => Promise<V1Pod | undefined>; noteUse: (id: string) => void };
  config: () => Pick<ProvisionerConfig, 'namespace' | 'hostBaseDir' | 'threadsHostPath' | 'containerPort'>;
  /** Where terminal screens are saved between runs of the app. */
  screensDir: string | undefined;
}

/** The Pod, when the sandbox can be entered now; else why not (missing, being deleted, not running). */
function enterable(pod: V1Pod | undefined, id: string, what: string): V1Pod {
  if (!pod) throw new AppError('not-found', `Sandbox ${id} does not exist (it may have been deleted): no ${what}`);
  const running = pod.status?.containerStatuses?.find((c) => c.name === 'sandbox')?.state?.running;
  if (!running || pod.metadata?.deletionTimestamp)
    throw new AppError(
      'conflict',
      pod.metadata?.deletionTimestamp
        ? `Sandbox ${id} is being deleted: no ${what}`
        : `Sandbox ${id}'s container is not running yet (${pod.status?.phase ?? 'Pending'}): the ${what} opens once it runs`,
    );
  return pod;
}

const runningPod = async (deps: SandboxAccessDeps, id: string, what: string) => enterable(await deps.connection().pod(id), id, what);

/**
 * The host folder a Pod mounts at /mnt/user-data, when this machine can read it directly: a
 * hostPath under one of the provisioner's host folders (THREADS_HOST_PATH,
 * DEER_FLOW_HOST_BASE_DIR) that exists here. Else undefined (through the cluster).
 */
export function hostFolderOf(
  pod: V1Pod,
  hostRoots: (string | undefined)[],
  exists: (p: string) => boolean = existsSync,
): string | undefined {
  const container = pod.spec?.containers.find((c) => c.name === 'sandbox');
  const mount = container?.volumeMounts?.find((m) => m.mountPath === USER_DATA_MOUNT);
  const hostPath = pod.spec?.volumes?.find((v) => v.name === mount?.name)?.hostPath?.path;
  if (!hostPath || mount?.subPath) return undefined;
  const under = hostRoots.some((root) => root !== undefined && isWithin(hostPath, root));
  return under && exists(hostPath) ? hostPath : undefined;
}

export class DeskSandboxAccess {
  readonly terminals: DeskTerminals;
  readonly forwards: SandboxForwards;

  constructor(private readonly deps: SandboxAccessDeps) {
    this.forwards = new SandboxForwards((id, socket) =>
      forwardSocket(deps.connection().kc, deps.config().namespace, podName(id), deps.config().containerPort, socket),
    );
    this.terminals = new DeskTerminals(
      async (id, size, io) => {
        await runningPod(deps, id, 'terminal');
        const { kc } = deps.connection();
        return startTtyShell(kc, deps.config().namespace, podName(id), 'sandbox', size, io);
      },
      deps.screensDir,
      (id) => deps.connection().noteUse(id),
    );
  }

  /** A local address for the sandbox: checked running first, so Open says why it cannot. */
  async open(id: string): Promise<string> {
    await runningPod(this.deps, id, 'address to open');
    return this.forwards.open(id);
  }

  /** The sandbox's files, the host's way when it can, else through the cluster (or as asked). */
  async files(id: string, via?: 'host' | 'cluster'): Promise<SandboxFiles> {
    const conn = this.deps.connection();
    const pod = await conn.pod(id);
    if (!pod) throw new AppError('not-found', `Sandbox ${id} does not exist (it may have been deleted): no files to show`);
    conn.noteUse(id);
    const host = via === 'cluster' ? undefined : hostFolderOf(pod, [this.deps.config().threadsHostPath, this.deps.config().hostBaseDir]);
    if (host) return new HostFiles(host);
    if (via === 'host')
      throw new AppError('conflict', `Sandbox ${id}'s folder cannot be read on this machine: read it through the cluster`);
    enterable(pod, id, 'file browser through the cluster'); // the Pod read above, not a second read
    return new ClusterFiles(conn.kc, this.deps.config().namespace, podName(id));
  }
}
