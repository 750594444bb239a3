// The lease rule (app/kube/lease.ts): who may sweep when several replicas run.
import { describe, expect, it } from 'vitest';
import { leaseDecision } from '../../app/kube/lease.js';

const now = new Date('2026-12-01T10:00:00Z');
const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000);

describe('leaseDecision', () => {
  it('takes a lease nobody holds, or one never renewed', () => {
    expect(leaseDecision(undefined, 'a', now)).toBe('take');
    expect(leaseDecision({ holderIdentity: '' }, 'a', now)).toBe('take');
    expect(leaseDecision({ holderIdentity: 'b', leaseDurationSeconds: 30 }, 'a', now)).toBe('take');
  });

  it('renews its own lease, even an expired one', () => {
    expect(leaseDecision({ holderIdentity: 'a', leaseDurationSeconds: 30, renewTime: at(5) }, 'a', now)).toBe('renew');
    expect(leaseDecision({ holderIdentity: 'a', leaseDurationSeconds: 30, renewTime: at(300) }, 'a', now)).toBe('renew');
  });

  it("waits while another holder's lease is fresh, and takes it once it expired", () => {
    const held = { holderIdentity: 'b', leaseDurationSeconds: 30 };
    expect(leaseDecision({ ...held, renewTime: at(29) }, 'a', now)).toBe('wait');
    expect(leaseDecision({ ...held, renewTime: at(30) }, 'a', now)).toBe('wait');
    expect(leaseDecision({ ...held, renewTime: at(31) }, 'a', now)).toBe('take');
    // No renewal yet: the acquire time counts.
    expect(leaseDecision({ ...held, acquireTime: at(10) }, 'a', now)).toBe('wait');
  });
});
