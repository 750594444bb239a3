// Before moving data, make sure no sandbox is using it: sandbox Pods mount the same folders.
import type { CoreV1Api } from '@kubernetes/client-node';
import { toClusterError, withTimeout } from '../kube/errors.js';
import { SANDBOX_SELECTOR } from '../sandbox/specs.js';

export type GuardResult = { state: 'clear' } | { state: 'busy'; pods: string[] } | { state: 'unreachable'; message: string };

export async function checkNoSandboxesRunning(core: CoreV1Api, namespace: string, server: string): Promise<GuardResult> {
  try {
    const list = await withTimeout(
      core.listNamespacedPod({ namespace, labelSelector: SANDBOX_SELECTOR }),
      5_000,
      'list sandbox Pods',
      server,
    );
    const pods = list.items
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .map((p) => p.metadata?.name ?? '?')
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
  if (g.state === 'clear') return { ok: true };
  if (g.state === 'busy') {
    const reason = `sandbox Pods are running and may be using this data: ${g.pods.join(', ')}. Delete them first, or run again with --force.`;
    return opts.force ? { ok: true, note: `forced while sandboxes run: ${g.pods.join(', ')}` } : { ok: false, reason, guard: g };
  }
  const reason = `cannot check for running sandboxes: ${g.message.replace(/\.$/, '')}. Make sure no sandbox uses this data, then run again with --force.`;
  return opts.force
    ? { ok: true, note: 'forced without checking for running sandboxes (cluster unreachable)' }
    : { ok: false, reason, guard: g };
}
