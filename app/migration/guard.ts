// Before moving data, make sure no sandbox is using it: sandbox Pods mount the same folders.
// Only Pods whose volumes can reach the data count (docs/migration.md "The guard").
import { isAbsolute, relative } from 'node:path';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { toClusterError, withTimeout } from '../kube/errors.js';
import { SANDBOX_SELECTOR } from '../sandbox/specs.js';

export type GuardResult = { state: 'clear'; note?: string } | { state: 'busy'; pods: string[] } | { state: 'unreachable'; message: string };

/** What is being migrated: a folder on this machine, or a claim in the cluster. */
export type DataTarget = { kind: 'local'; baseDir: string } | { kind: 'pvc'; claim: string };

const overlaps = (a: string, b: string) => {
  const inside = (x: string, y: string) => {
    const r = relative(y, x);
    return r === '' || (!r.startsWith('..') && !isAbsolute(r));
  };
  return inside(a, b) || inside(b, a);
};

/**
 * How a Pod may be using the data, or undefined when none of its volumes can reach it. A
 * claim counts when it is the one migrated. For a local folder, a hostPath that overlaps it
 * counts, and so does any other hostPath or claim: on kind and minikube the node's path for
 * the folder differs from this machine's, and a claim may be the folder mounted here — a Pod
 * with only emptyDir, configMap or secret volumes cannot touch it.
 */
export function dataUseOf(pod: V1Pod, target: DataTarget): string | undefined {
  const volumes = pod.spec?.volumes ?? [];
  // A volume that certainly reaches the data is named first; then one that may.
  for (const v of volumes) {
    const claim = v.persistentVolumeClaim?.claimName;
    const host = v.hostPath?.path;
    if (target.kind === 'pvc' && claim === target.claim) return `mounts claim ${claim}`;
    if (target.kind === 'local' && host && overlaps(host, target.baseDir)) return `mounts ${host}`;
  }
  if (target.kind === 'pvc') return undefined;
  for (const v of volumes) {
    if (v.hostPath?.path) return `mounts host path ${v.hostPath.path}, which may be this folder on the cluster's node`;
    if (v.persistentVolumeClaim?.claimName)
      return `mounts claim ${v.persistentVolumeClaim.claimName}, which may be this folder mounted here`;
  }
  return undefined;
}

/** Running sandbox Pods of the namespace that may use the data (all of them without a target). */
export async function checkNoSandboxesRunning(
  core: CoreV1Api,
  namespace: string,
  server: string,
  target?: DataTarget,
): Promise<GuardResult> {
  try {
    const list = await withTimeout(
      core.listNamespacedPod({ namespace, labelSelector: SANDBOX_SELECTOR }),
      5_000,
      'list sandbox Pods',
      server,
    );
    const pods = list.items
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .flatMap((p) => {
        const name = p.metadata?.name ?? '?';
        if (!target) return [name];
        const use = dataUseOf(p, target);
        return use ? [`${name} (${use})`] : [];
      })
      .sort();
    return pods.length ? { state: 'busy', pods } : { state: 'clear' };
  } catch (e) {
    const err = toClusterError(e, server);
    if (err.apiStatus === 404) return { state: 'clear' }; // no such namespace: nothing runs
    return { state: 'unreachable', message: err.message };
  }
}

/** Refuses while sandboxes run (or the cluster cannot be asked), unless forced. */
export async function checkGuard(opts: {
  guard: () => Promise<GuardResult>;
  force: boolean;
}): Promise<{ ok: true; note?: string } | { ok: false; reason: string; guard: GuardResult }> {
  const g = await opts.guard();
  if (g.state === 'clear') return g.note ? { ok: true, note: g.note } : { ok: true };
  if (g.state === 'busy') {
    const reason = `sandbox Pods are running and may be using this data: ${g.pods.join(', ')}. Delete them first, or go ahead anyway (--force; in the app, "Migrate anyway").`;
    return opts.force ? { ok: true, note: `forced while sandboxes run: ${g.pods.join(', ')}` } : { ok: false, reason, guard: g };
  }
  const reason = `cannot check for running sandboxes: ${g.message.replace(/\.$/, '')}. Make sure no sandbox uses this data, then go ahead anyway (--force; in the app, "Migrate anyway").`;
  return opts.force
    ? { ok: true, note: 'forced without checking for running sandboxes (cluster unreachable)' }
    : { ok: false, reason, guard: g };
}
