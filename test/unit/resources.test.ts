// Sandbox CPU and memory (pure): quantities as people write them, the defaults, a request's own
// limits within the maximum, and requests that never exceed their limits.
import { describe, expect, it } from 'vitest';
import type { SandboxResourceSettings } from '../../app/config/config.js';
import { parseQuantity } from '../../app/config/quantity.js';
import { requestedResourcesProblem, resourcesFor } from '../../app/sandbox/resources.js';

const defaults: SandboxResourceSettings = {
  cpuRequest: '100m',
  cpuLimit: '1000m',
  memoryRequest: '256Mi',
  memoryLimit: '1Gi',
  maxCpu: '4',
  maxMemory: '8Gi',
};

describe('parseQuantity', () => {
  it('reads cores and bytes in the usual forms', () => {
    expect(parseQuantity('500m', 'cpu')).toEqual({ value: 0.5 });
    expect(parseQuantity('2', 'cpu')).toEqual({ value: 2 });
    expect(parseQuantity('1.5', 'cpu')).toEqual({ value: 1.5 });
    expect(parseQuantity('512Mi', 'memory')).toEqual({ value: 512 * 2 ** 20 });
    expect(parseQuantity('1G', 'memory')).toEqual({ value: 1e9 });
    expect(parseQuantity('1073741824', 'memory')).toEqual({ value: 2 ** 30 });
  });

  it('refuses what is not a quantity, saying what to write', () => {
    for (const bad of ['', 'two', '-1', '1e3', ' 2', '2 ', '1.', '0x10', '1gi'])
      expect(parseQuantity(bad, 'memory'), bad).toHaveProperty('problem');
    expect(parseQuantity('2Gi', 'cpu')).toEqual({ problem: '"2Gi" is not a CPU quantity: use cores ("2", "0.5") or millicores ("500m")' });
    expect(parseQuantity('0', 'cpu')).toEqual({ problem: '"0" must be more than zero' });
    expect(parseQuantity('0.0001', 'cpu')).toEqual({ problem: '"0.0001" is below 1m, the smallest CPU amount' });
  });
});

describe('sandbox resources', () => {
  it("are upstream's without a request", () => {
    expect(resourcesFor({ ...defaults, maxCpu: undefined, maxMemory: undefined })).toEqual({
      requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '500Mi' },
      limits: { cpu: '1000m', memory: '1Gi', 'ephemeral-storage': '500Mi' },
    });
  });

  it("take a request's limits, lowering the request when the limit is below it", () => {
    expect(resourcesFor(defaults, { cpu: '2', memory: '128Mi' })).toEqual({
      requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '500Mi' },
      limits: { cpu: '2', memory: '128Mi', 'ephemeral-storage': '500Mi' },
    });
  });

  it('refuse a request above the maximum, malformed, or when no maximum is set', () => {
    expect(requestedResourcesProblem({ cpu: '4', memory: '8Gi' }, defaults)).toBeUndefined();
    expect(requestedResourcesProblem({ cpu: '4001m' }, defaults)).toEqual({
      field: 'resources.cpu',
      problem: '"4001m" is above the allowed maximum 4 (SANDBOX_MAX_CPU)',
    });
    expect(requestedResourcesProblem({ memory: 'lots' }, defaults)).toEqual({
      field: 'resources.memory',
      problem: '"lots" is not a Kubernetes quantity (e.g. 512Mi or 2Gi (bytes))',
    });
    expect(requestedResourcesProblem({ memory: '1Gi' }, { ...defaults, maxMemory: undefined })).toEqual({
      field: 'resources.memory',
      problem: 'is not accepted here: the provisioner allows per-sandbox memory only when SANDBOX_MAX_MEMORY is set',
    });
  });
});
