// LeaseElection against the real API server: one holder at a time, even when replicas ask at
// the same instant (the API server's optimistic concurrency decides), and a stopped holder is
// replaced once its lease expires. Time is injected; the Lease objects are real.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseElection } from '../../app/kube/lease.js';
import { createTestNamespace, testKubeConfig } from './helpers.js';

const kc = testKubeConfig();
const api = kc.makeApiClient(CoordinationV1Api);
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'lease');
});
afterAll(async () => {
  await ns?.remove();
});

describe('LeaseElection', () => {
  it('gives the lease to exactly one of several replicas asking at once', async () => {
    const now = () => new Date();
    const replicas = ['r1', 'r2', 'r3', 'r4'].map((id) => new LeaseElection(api, ns.name, 'sweep-race', id, 30, now));
    const first = await Promise.all(replicas.map((r) => r.holds()));
    expect(first.filter(Boolean)).toHaveLength(1);
    const winner = replicas[first.indexOf(true)] as LeaseElection;
    // The holder keeps it; the others keep waiting.
    const second = await Promise.all(replicas.map((r) => r.holds()));
    expect(second).toEqual(replicas.map((r) => r === winner));
    const lease = await api.readNamespacedLease({ name: 'sweep-race', namespace: ns.name });
    expect(lease.spec?.holderIdentity).toBe(winner.identity);
  });

  it('hands the lease over once its holder stops renewing for longer than its duration', async () => {
    let clock = new Date('2026-12-01T10:00:00Z');
    const now = () => clock;
    const a = new LeaseElection(api, ns.name, 'sweep-handover', 'a', 30, now);
    const b = new LeaseElection(api, ns.name, 'sweep-handover', 'b', 30, now);
    expect(await a.holds()).toBe(true);
    clock = new Date(clock.getTime() + 20_000);
    expect(await b.holds()).toBe(false);
    clock = new Date(clock.getTime() + 31_000); // a has not renewed for 51 s
    expect(await b.holds()).toBe(true);
    expect(await a.holds()).toBe(false);
    const lease = await api.readNamespacedLease({ name: 'sweep-handover', namespace: ns.name });
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, leaseDurationSeconds: 30 });
  });
});
