// The egress setting (app/config/egress.ts) as one NetworkPolicy in the namespace selecting the
// sandbox Pods; the provisioner keeps it in step with the setting (ensureEgressPolicy).
import type { V1NetworkPolicy, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { describeRules, type EgressSettings } from '../config/egress.js';

/** The NetworkPolicy the provisioner owns (recognised by name and label, never another one). */
export const EGRESS_POLICY_NAME = 'deer-flow-sandbox-egress';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'sandbox-provisioner' };

const tcp = (port: number): V1NetworkPolicyPort => ({ protocol: 'TCP', port });

/**
 * The policy for the setting, or undefined for `open` (no policy: upstream's behaviour). DNS
 * (53, UDP and TCP) stays reachable so names still resolve; everything else is denied unless
 * listed.
 */
export function egressPolicy(namespace: string, settings: EgressSettings, podLabels: Record<string, string>): V1NetworkPolicy | undefined {
  if (settings.mode === 'open') return undefined;
  const dns = { ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] };
  const allowed = settings.mode === 'allowlist' ? settings.allow : [];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: EGRESS_POLICY_NAME,
      namespace,
      labels: { ...MANAGED_BY },
      annotations: { 'deer-flow/egress': settings.mode === 'allowlist' ? `allowlist ${describeRules(allowed)}` : 'isolated' },
    },
    spec: {
      podSelector: { matchLabels: podLabels },
      policyTypes: ['Egress'],
      egress: [
        dns,
        ...allowed.map((r) => ({ to: [{ ipBlock: { cidr: r.cidr } }], ...(r.ports.length ? { ports: r.ports.map(tcp) } : {}) })),
      ],
    },
  };
}
