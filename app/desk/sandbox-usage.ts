// A sandbox's resource use (issue #13 item 4), read from the kubelet's summary through the API
// server's node proxy (GET /api/v1/nodes/<node>/proxy/stats/summary): kind ships no
// metrics-server, and the kubelet has the numbers anyway. A node that serves no summary (kwok,
// the simulated node of the tests) or a proxy the user may not use is said in a sentence.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { UsageView } from './contract.js';

interface Summary {
  pods?: {
    podRef?: { name?: string; namespace?: string };
    containers?: { name?: string; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number } }[];
  }[];
}

/** The sandbox container's use in a kubelet summary (pure), or undefined when it is not there. */
export function usageFromSummary(
  summary: Summary,
  namespace: string,
  pod: string,
): { cpuMillicores: number; memoryBytes: number } | undefined {
  const entry = summary.pods?.find((p) => p.podRef?.name === pod && p.podRef?.namespace === namespace);
  const c = entry?.containers?.find((x) => x.name === 'sandbox') ?? entry?.containers?.[0];
  if (!c?.cpu && !c?.memory) return undefined;
  return {
    cpuMillicores: Math.round((c.cpu?.usageNanoCores ?? 0) / 1e6),
    memoryBytes: c.memory?.workingSetBytes ?? 0,
  };
}

export async function readUsage(core: CoreV1Api, namespace: string, pod: V1Pod, now = new Date()): Promise<UsageView> {
  const name = pod.metadata?.name ?? '';
  const restarts = pod.status?.containerStatuses?.find((c) => c.name === 'sandbox')?.restartCount ?? 0;
  const node = pod.spec?.nodeName;
  const at = now.toISOString();
  if (!node) return { available: false, restarts, at, reason: 'The sandbox is not on a node yet: its use shows once it is scheduled.' };
  let text: string;
  try {
    text = (await core.connectGetNodeProxyWithPath({ name: node, path: 'stats/summary' })) as unknown as string;
  } catch (e) {
    const code = (e as { code?: number }).code;
    // The proxy's refusals carry no body worth showing (the client keeps none): the code says it.
    const reason =
      code === 403
        ? `The kubeconfig's user may not read node ${node}'s summary (nodes/proxy): resource use needs "get" on nodes/proxy.`
        : code !== undefined
          ? `Node ${node} serves no resource summary through the API server (HTTP ${code}): a simulated node such as kwok's has no kubelet to ask.`
          : `Node ${node}'s resource summary could not be read: the API server did not answer (${(e as Error).message.split('\n')[0]?.slice(0, 120)}).`;
    return { available: false, restarts, at, reason };
  }
  let summary: Summary;
  try {
    summary = typeof text === 'string' ? (JSON.parse(text) as Summary) : (text as Summary);
  } catch {
    return { available: false, restarts, at, reason: `Node ${node} answered its summary with something that is not JSON.` };
  }
  const use = usageFromSummary(summary, namespace, name);
  if (!use)
    return {
      available: false,
      restarts,
      at,
      reason: `Node ${node}'s summary has no figures for this sandbox yet (the kubelet samples every 10–15 s).`,
    };
  return { available: true, restarts, at, ...use };
}
