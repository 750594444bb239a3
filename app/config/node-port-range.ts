// SANDBOX_NODE_PORT_RANGE's value: a range of NodePorts inside Kubernetes' default range.
// Pure; the provisioner's allocation from it is in app/sandbox/node-ports.ts.
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
