// One holder at a time for work that several provisioner replicas must not all do (the orphan
// sweep): a coordination.k8s.io Lease, as Kubernetes' own controllers elect their leader. The
// rule is pure (leaseDecision); LeaseElection applies it with the API server's optimistic
// concurrency (a replace carries the resourceVersion it read, so two replicas cannot both win).
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.js';

export type LeaseDecision = 'renew' | 'take' | 'wait';

/**
 * What `identity` should do with the lease as read at `now`: renew its own, take one that is
 * free or expired (its holder stopped renewing for longer than its duration), or wait.
 */
export function leaseDecision(lease: V1Lease['spec'] | undefined, identity: string, now: Date): LeaseDecision {
  if (!lease?.holderIdentity) return 'take';
  if (lease.holderIdentity === identity) return 'renew';
  const renewed = lease.renewTime ?? lease.acquireTime;
  const duration = (lease.leaseDurationSeconds ?? 0) * 1000;
  if (!renewed) return 'take';
  return new Date(renewed).getTime() + duration < now.getTime() ? 'take' : 'wait';
}

export class LeaseElection {
  constructor(
    private readonly api: CoordinationV1Api,
    private readonly namespace: string,
    private readonly name: string,
    readonly identity: string,
    private readonly durationSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Renews or takes the lease when it may; true when this identity holds it afterwards. A lost
   * race (409 on create or replace) is "not ours this time", never an error.
   */
  async holds(): Promise<boolean> {
    const now = this.now();
    let current: V1Lease | undefined;
    try {
      current = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const decision = leaseDecision(current?.spec, this.identity, now);
    if (decision === 'wait') return false;
    // MicroTime: the API server wants microseconds in the text; a plain Date has milliseconds.
    const stamp = new V1MicroTime(now.getTime());
    const spec: V1Lease['spec'] = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationSeconds,
      renewTime: stamp,
      acquireTime:
        decision === 'renew' && current?.spec?.acquireTime ? new V1MicroTime(new Date(current.spec.acquireTime).getTime()) : stamp,
      leaseTransitions: (current?.spec?.leaseTransitions ?? 0) + (decision === 'take' && current ? 1 : 0),
    };
    try {
      if (!current) {
        await this.api.createNamespacedLease({ namespace: this.namespace, body: { metadata: { name: this.name }, spec } });
      } else {
        await this.api.replaceNamespacedLease({
          name: this.name,
          namespace: this.namespace,
          body: { metadata: { name: this.name, resourceVersion: current.metadata?.resourceVersion }, spec },
        });
      }
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }
}
