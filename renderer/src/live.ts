// Keeps the stores in step with the core: a full reload when the event stream (re)connects or
// the watch comes back, then changes as they arrive, applied in batches (one render per
// batch, not per event: a thousand Pods changing at once stay smooth). Data is never polled;
// only while a problem shows is the cluster's health asked again, to clear it when it is over.
import type { Sandbox } from '../../app/sandbox/model.js';
import { connectionProblem, useCluster } from './state/cluster.js';
import { desk } from './state/desk.js';
import { useJobs } from './state/jobs.js';
import { useSandboxes } from './state/sandboxes.js';

const BATCH_MS = 16;

export async function reloadSandboxes(): Promise<void> {
  try {
    const { sandboxes, watching } = await desk().call('listSandboxes');
    useSandboxes.getState().replaceAll(sandboxes);
    useCluster.getState().setWatching(watching);
  } catch (e) {
    useCluster.getState().setWatching(false, `Cannot list sandboxes: ${(e as Error).message}`);
  }
}

export async function reloadCluster(): Promise<void> {
  try {
    useCluster.getState().setStatus(await desk().call('clusterStatus'));
  } catch {
    // the stream state says what is wrong
  }
}

async function reloadJobs(): Promise<void> {
  try {
    for (const j of await desk().call('jobs')) useJobs.getState().upsert(j);
  } catch {
    // shown again on the next job event
  }
}

/** While something is wrong, the cluster is probed again now and then, so the banner clears by itself. */
const RECHECK_MS = 3000;

export function startLiveUpdates(): () => void {
  const recheck = setInterval(() => {
    if (connectionProblem(useCluster.getState())) void reloadCluster();
  }, RECHECK_MS);
  let pending: { id: string; sandbox: Sandbox | null }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    useSandboxes.getState().applyChanges(batch);
  };
  const unsubscribe = desk().subscribe(
    (e) => {
      switch (e.type) {
        case 'sandbox':
          pending.push({ id: e.id, sandbox: e.sandbox });
          if (!scheduled) {
            scheduled = true;
            setTimeout(flush, BATCH_MS);
          }
          break;
        case 'watch': {
          const was = useCluster.getState().watching;
          useCluster.getState().setWatching(e.watching, e.message);
          // Back after a drop: reload, so whatever changed meanwhile is shown (no lost updates).
          if (e.watching && !was) void Promise.all([reloadSandboxes(), reloadCluster()]);
          if (!e.watching) void reloadCluster();
          break;
        }
        case 'job':
          useJobs.getState().upsert(e.job);
          break;
        case 'cluster':
          void Promise.all([reloadCluster(), reloadSandboxes()]);
          break;
      }
    },
    (state, error) => {
      useCluster.getState().setStream(state, error);
      if (state === 'open') void Promise.all([reloadSandboxes(), reloadCluster(), reloadJobs()]);
    },
  );
  return () => {
    clearInterval(recheck);
    unsubscribe();
  };
}
