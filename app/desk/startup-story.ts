// How a sandbox came up (issue #13 item 5), from its Pod and the Pod's events (pure): created →
// scheduled → image ready → started → Ready, each with its time, which step took longest, and
// the hint when the image is what holds it up (not on the node: "load it into kind").
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';

export type StartupStepName = 'created' | 'scheduled' | 'image' | 'started' | 'ready';

export interface StartupStep {
  step: StartupStepName;
  /** When it happened (ISO); undefined while it has not. */
  at: string | undefined;
  /** Milliseconds since the step before it (undefined when either time is unknown). */
  tookMs: number | undefined;
  detail: string | undefined;
}

export interface StartupStory {
  steps: StartupStep[];
  /** The step that took longest, when at least two are known and it took over a second. */
  slowest: StartupStepName | undefined;
  /** Set when the image is missing from the node or being pulled slowly. */
  imageHint: { image: string; reason: string } | undefined;
}

const IMAGE_MISSING = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

const iso = (t: Date | string | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function eventTime(e: CoreV1Event): string | undefined {
  return iso(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp);
}

export function startupStory(pod: V1Pod | undefined, events: CoreV1Event[]): StartupStory {
  const conditions = new Map((pod?.status?.conditions ?? []).map((c) => [c.type, c]));
  const whenTrue = (type: string) => {
    const c = conditions.get(type);
    return c?.status === 'True' ? iso(c.lastTransitionTime) : undefined;
  };
  const container = pod?.status?.containerStatuses?.find((c) => c.name === 'sandbox') ?? pod?.status?.containerStatuses?.[0];
  const image = pod?.spec?.containers.find((c) => c.name === 'sandbox')?.image ?? pod?.spec?.containers[0]?.image ?? '';
  const pulled = [...events].reverse().find((e) => e.reason === 'Pulled');
  const started = iso(container?.state?.running?.startedAt ?? container?.lastState?.terminated?.startedAt);
  const waiting = container?.state?.waiting;

  // "image ready": the Pulled event (present or pulled); failing that, the container's start.
  const imageAt = pulled ? eventTime(pulled) : started;
  const imageDetail =
    pulled?.message ??
    (waiting && IMAGE_MISSING.has(waiting.reason ?? '') ? `${waiting.reason}: ${waiting.message ?? ''}`.trim() : undefined);

  const raw: Omit<StartupStep, 'tookMs'>[] = [
    { step: 'created', at: iso(pod?.metadata?.creationTimestamp), detail: undefined },
    { step: 'scheduled', at: whenTrue('PodScheduled'), detail: pod?.spec?.nodeName ? `on ${pod.spec.nodeName}` : undefined },
    { step: 'image', at: imageAt, detail: imageDetail },
    { step: 'started', at: started, detail: waiting && !IMAGE_MISSING.has(waiting.reason ?? '') ? waiting.reason : undefined },
    { step: 'ready', at: whenTrue('Ready'), detail: undefined },
  ];
  const steps: StartupStep[] = raw.map((s, i) => {
    const before = raw[i - 1]?.at;
    return { ...s, tookMs: s.at && before ? Math.max(0, Date.parse(s.at) - Date.parse(before)) : undefined };
  });
  const timed = steps.filter((s) => s.tookMs !== undefined);
  const longest = timed.reduce<StartupStep | undefined>((m, s) => ((s.tookMs ?? 0) > (m?.tookMs ?? -1) ? s : m), undefined);
  const slowest = timed.length >= 2 && (longest?.tookMs ?? 0) > 1000 ? longest?.step : undefined;

  let imageHint: StartupStory['imageHint'];
  if (waiting && IMAGE_MISSING.has(waiting.reason ?? ''))
    imageHint = {
      image,
      reason: `The image ${image} is not on the node (${waiting.reason}): load it into the cluster and the sandbox starts.`,
    };
  else if (slowest === 'image' && pulled && !/already present/.test(pulled.message ?? ''))
    imageHint = {
      image,
      reason: `Pulling ${image} was the slow part: load it into the cluster once and later sandboxes start without a pull.`,
    };
  return { steps, slowest, imageHint };
}
