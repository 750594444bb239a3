// A sandbox container's CPU and memory (pure): the defaults from the environment, and the
// optional per-request `resources: {cpu, memory}` (ours; DeerFlow's client never sends it),
// which sets the limits within SANDBOX_MAX_CPU / SANDBOX_MAX_MEMORY. A request is never above
// its limit: a smaller limit lowers the request with it.
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { SandboxResourceSettings } from '../config/config.js';
import { parseQuantity, type QuantityKind, quantityValue } from '../config/quantity.js';

export interface RequestedResources {
  cpu?: string | undefined;
  memory?: string | undefined;
}

const EPHEMERAL_STORAGE = '500Mi';

/** What is wrong with a request's resources: the field and the problem (after its name), or undefined. */
export function requestedResourcesProblem(
  requested: RequestedResources | undefined,
  settings: Pick<SandboxResourceSettings, 'maxCpu' | 'maxMemory'>,
): { field: string; problem: string } | undefined {
  for (const kind of ['cpu', 'memory'] as const) {
    const value = requested?.[kind];
    if (value === undefined) continue;
    const field = `resources.${kind}`;
    const max = kind === 'cpu' ? settings.maxCpu : settings.maxMemory;
    const variable = kind === 'cpu' ? 'SANDBOX_MAX_CPU' : 'SANDBOX_MAX_MEMORY';
    if (max === undefined)
      return { field, problem: `is not accepted here: the provisioner allows per-sandbox ${kind} only when ${variable} is set` };
    const parsed = parseQuantity(value, kind);
    if ('problem' in parsed) return { field, problem: parsed.problem };
    if (parsed.value > quantityValue(max, kind)) return { field, problem: `"${value}" is above the allowed maximum ${max} (${variable})` };
  }
  return undefined;
}

/** The container's resources: the request's limits where given, else the defaults. */
export function resourcesFor(settings: SandboxResourceSettings, requested: RequestedResources = {}): V1ResourceRequirements {
  const pick = (kind: QuantityKind, request: string, limit: string) => {
    const chosenLimit = requested[kind] ?? limit;
    return { request: quantityValue(request, kind) > quantityValue(chosenLimit, kind) ? chosenLimit : request, limit: chosenLimit };
  };
  const cpu = pick('cpu', settings.cpuRequest, settings.cpuLimit);
  const memory = pick('memory', settings.memoryRequest, settings.memoryLimit);
  return {
    requests: { cpu: cpu.request, memory: memory.request, 'ephemeral-storage': EPHEMERAL_STORAGE },
    limits: { cpu: cpu.limit, memory: memory.limit, 'ephemeral-storage': EPHEMERAL_STORAGE },
  };
}
