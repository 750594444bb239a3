// NodePorts from a fixed range (SANDBOX_NODE_PORT_RANGE). On kind, only the ports that the
// cluster's config publishes on the host are reachable, so sandbox Services must take their
// NodePort from that range instead of letting Kubernetes pick from 30000-32767.
import type { V1Service } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';

export interface NodePortRange {
  from: number;
  to: number;
}

/** Kubernetes' default --service-node-port-range; a range outside it is rejected by the API server. */
export const DEFAULT_SERVICE_NODE_PORT_RANGE: NodePortRange = { from: 30000, to: 32767 };

/** "30100-30149" → the range, or a sentence saying what is wrong. */
export function parseNodePortRange(raw: string): NodePortRange | string {
  const m = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(raw.trim());
  if (!m) return 'expected a port range like 30100-30149';
  const from = Number(m[1]);
  const to = Number(m[2]);
  const d = DEFAULT_SERVICE_NODE_PORT_RANGE;
  if (from > to) return `the first port must not be above the last (${from} > ${to})`;
  if (from < d.from || to > d.to) return `NodePorts must lie within ${d.from}-${d.to} (Kubernetes' service-node-port-range)`;
  return { from, to };
}

export const formatNodePortRange = (r: NodePortRange) => `${r.from}-${r.to}`;
export const nodePortRangeSize = (r: NodePortRange) => r.to - r.from + 1;

/**
 * A port of the range not in `taken`, scanning from `start` (wrapping), so concurrent
 * allocators that start at different places rarely collide. Undefined when the range is full.
 */
export function pickNodePort(range: NodePortRange, taken: ReadonlySet<number>, start = range.from): number | undefined {
  const size = nodePortRangeSize(range);
  const offset = Math.min(Math.max(start - range.from, 0), size - 1);
  for (let i = 0; i < size; i++) {
    const port = range.from + ((offset + i) % size);
    if (!taken.has(port)) return port;
  }
  return undefined;
}

/** NodePorts that these Services hold. */
export function nodePortsOf(services: Iterable<V1Service>): Set<number> {
  const out = new Set<number>();
  for (const s of services) for (const p of s.spec?.ports ?? []) if (p.nodePort) out.add(p.nodePort);
  return out;
}

/** The API server's answer when a Service asks for a NodePort that another Service holds. */
export function isPortAllocated(e: unknown): boolean {
  if (!(e instanceof ApiException) || e.code !== 422) return false;
  const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
  return /port is already allocated/i.test(body);
}

export class NodePortsExhaustedError extends Error {
  constructor(range: NodePortRange) {
    super(
      `every NodePort in SANDBOX_NODE_PORT_RANGE ${formatNodePortRange(range)} is taken; delete sandboxes you no longer need, ` +
        'or widen the range (on kind, the cluster must publish the same ports: recreate it with `cluster kind-config --node-ports`)',
    );
    this.name = 'NodePortsExhaustedError';
  }
}
