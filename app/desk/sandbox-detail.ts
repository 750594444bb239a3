// What the UI shows of one sandbox, from its Pod, Service and their events (pure): the
// container's image, mounts with their host path or claim + subPath, resources, conditions,
// container state and the events in time order. Never the whole objects.
import type { CoreV1Event, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ProvisionerConfig } from '../config/config.js';
import { describeEgress } from '../config/egress.js';
import { type SpecConfig, toSandbox } from '../sandbox/specs.js';
import { startupStory } from './startup-story.js';
import type { EventView, MountView, SandboxDetail } from './views.js';

export function toSandboxDetail(
  config: Pick<SpecConfig, 'nodeHost' | 'namespace'> & Partial<Pick<ProvisionerConfig, 'egress' | 'idleSeconds' | 'ttlSeconds'>>,
  id: string,
  pod: V1Pod | undefined,
  svc: V1Service | undefined,
  events: { pod: CoreV1Event[]; service: CoreV1Event[] },
): SandboxDetail {
  const container = pod?.spec?.containers.find((c) => c.name === 'sandbox') ?? pod?.spec?.containers[0];
  const volumes = new Map((pod?.spec?.volumes ?? []).map((v) => [v.name, v]));
  const mounts: MountView[] = (container?.volumeMounts ?? []).map((m) => {
    const v = volumes.get(m.name);
    const source: MountView['source'] = v?.hostPath
      ? { hostPath: v.hostPath.path, type: v.hostPath.type }
      : v?.persistentVolumeClaim
        ? { claim: v.persistentVolumeClaim.claimName, subPath: m.subPath }
        : { other: v ? (Object.keys(v).filter((k) => k !== 'name')[0] ?? 'unknown') : 'unknown' };
    return { name: m.name, mountPath: m.mountPath, readOnly: Boolean(m.readOnly), source };
  });
  const status = pod?.status?.containerStatuses?.[0];
  const stateName = status?.state?.running
    ? 'running'
    : status?.state?.waiting
      ? 'waiting'
      : status?.state?.terminated
        ? 'terminated'
        : 'unknown';
  const eventView =
    (object: EventView['object']) =>
    (e: CoreV1Event): EventView => ({
      object,
      type: e.type ?? '',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
      last: toIso(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
    });
  const sorted = [...events.pod.map(eventView('Pod')), ...events.service.map(eventView('Service'))].sort((a, b) =>
    (a.last ?? '').localeCompare(b.last ?? ''),
  );
  return {
    sandbox: toSandbox(config, id, pod, svc),
    egress: describeEgress(config.egress ?? { mode: 'open', allow: [] }),
    image: container?.image,
    node: pod?.spec?.nodeName,
    podIp: pod?.status?.podIP,
    mounts,
    requestMounts: mounts.filter((m) => m.name.startsWith('extra-')).map((m) => m.mountPath),
    companions: [
      ...(pod?.spec?.initContainers ?? []).map((c) => ({ name: c.name, role: 'init' as const, image: c.image })),
      ...(pod?.spec?.containers ?? [])
        .filter((c) => c !== container)
        .map((c) => ({ name: c.name, role: 'sidecar' as const, image: c.image })),
    ],
    resources: {
      requests: stringMap(container?.resources?.requests),
      limits: stringMap(container?.resources?.limits),
    },
    conditions: (pod?.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
    containerState: status
      ? {
          ready: status.ready,
          restartCount: status.restartCount,
          state: stateName,
          reason: status.state?.waiting?.reason ?? status.state?.terminated?.reason,
        }
      : undefined,
    events: sorted,
    startup: startupStory(pod, events.pod),
    inClusterUrl: svc?.metadata?.name
      ? `http://${svc.metadata.name}.${svc.metadata.namespace ?? config.namespace}.svc:${svc.spec?.ports?.[0]?.port ?? 8080}`
      : undefined,
  };
}

function stringMap(o: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, String(v)]));
}

function toIso(t: Date | string | undefined): string | null {
  if (!t) return null;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
