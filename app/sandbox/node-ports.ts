// NodePorts from a fixed range (SANDBOX_NODE_PORT_RANGE). On kind, only the ports that the
// cluster's config publishes on the host are reachable, so sandbox Services must take their
// NodePort from that range instead of letting Kubernetes pick from 30000-32767.

import type { V1Service } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import { formatNodePortRange, type NodePortRange, nodePortRangeSize } from '../config/node-port-range.js';
import { AppError } from '../errors.js';

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

export class NodePortsExhaustedError extends AppError {
  constructor(range: NodePortRange) {
    super(
      'unavailable',
      `Cannot create the sandbox: every NodePort in SANDBOX_NODE_PORT_RANGE ${formatNodePortRange(range)} is taken; delete sandboxes you no longer need, ` +
        'or widen the range (on kind, the cluster must publish the same ports: recreate it with `cluster kind-config --node-ports`)',
    );
  }
}
