import { describe, expect, it } from 'vitest';
import { usageFromSummary } from '../../app/desk/sandbox-usage.js';

describe('usageFromSummary (the kubelet summary, /stats/summary)', () => {
  const summary = {
    pods: [
      { podRef: { name: 'sandbox-a', namespace: 'other' }, containers: [{ name: 'sandbox', cpu: { usageNanoCores: 9e9 } }] },
      {
        podRef: { name: 'sandbox-a', namespace: 'deer-flow' },
        containers: [
          { name: 'sidecar', cpu: { usageNanoCores: 5e9 }, memory: { workingSetBytes: 1 } },
          { name: 'sandbox', cpu: { usageNanoCores: 12_345_678 }, memory: { workingSetBytes: 52_428_800 } },
        ],
      },
    ],
  };
  it('the sandbox container of the Pod in its namespace, CPU in millicores', () => {
    expect(usageFromSummary(summary, 'deer-flow', 'sandbox-a')).toEqual({ cpuMillicores: 12, memoryBytes: 52_428_800 });
  });
  it('nothing when the Pod or its figures are not there', () => {
    expect(usageFromSummary(summary, 'deer-flow', 'sandbox-b')).toBeUndefined();
    expect(
      usageFromSummary({ pods: [{ podRef: { name: 'p', namespace: 'n' }, containers: [{ name: 'sandbox' }] }] }, 'n', 'p'),
    ).toBeUndefined();
    expect(usageFromSummary({}, 'n', 'p')).toBeUndefined();
  });
});
