// A watch-backed view of the namespace's sandbox Pods and Services (two informers, label-
// selected). Listing 1,000 sandboxes from it takes no API request, where a live list makes
// the API server encode megabytes each time. While a watch is not synced (start-up, cluster
// unreachable) `synced` is false and callers read live instead, so answers never go stale
// silently. Our own creates and deletes are applied at once (an overlay that the watch
// events replace), so a list right after a create shows it.
import { EventEmitter } from 'node:events';
import { type CoreV1Api, type KubeConfig, makeInformer, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { podName, serviceName } from './names.js';
import { SANDBOX_ID_LABEL, SANDBOX_SELECTOR } from './specs.js';

type Informer<T> = ReturnType<typeof makeInformer<T & { metadata?: { name?: string } }>>;

interface Overlay {
  pod?: V1Pod | undefined;
  service?: V1Service | undefined;
  /** uids hidden because we deleted them (until the watch reports the deletion). */
  deletedUids?: Set<string>;
  expires: number;
}

const OVERLAY_TTL_MS = 30_000;
const idOf = (o: { metadata?: { labels?: Record<string, string> } }) => o.metadata?.labels?.[SANDBOX_ID_LABEL];

export class SandboxWatchCache {
  /** Emits 'change' with a sandbox id whenever its Pod or Service changes. */
  readonly events = new EventEmitter();
  /** Uids of Pods already Ready or already reported Ready (bounded by the Pods present). */
  private readonly readySeen = new Set<string>();
  private readonly pods: Informer<V1Pod>;
  private readonly services: Informer<V1Service>;
  private readonly ready = { pods: false, services: false };
  private readonly overlay = new Map<string, Overlay>();
  private stopped = false;
  /**
   * The newest resourceVersion each watch has reached (its last list, or an event). An object
   * of ours written at or before it, that the watch doesn't hold, was deleted since.
   */
  private readonly reached = { pods: -1n, services: -1n };
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    kc: KubeConfig,
    core: CoreV1Api,
    readonly namespace: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.pods = makeInformer<V1Pod>(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      async () => this.noteList('pods', await core.listNamespacedPod({ namespace, labelSelector: SANDBOX_SELECTOR })),
      SANDBOX_SELECTOR,
    );
    this.services = makeInformer<V1Service>(
      kc,
      `/api/v1/namespaces/${namespace}/services`,
      async () => this.noteList('services', await core.listNamespacedService({ namespace, labelSelector: SANDBOX_SELECTOR })),
      SANDBOX_SELECTOR,
    );
    this.wire('pods', this.pods);
    this.wire('services', this.services);
  }

  private noteList<L extends { metadata?: { resourceVersion?: string } }>(kind: 'pods' | 'services', list: L): L {
    this.noteVersion(kind, list.metadata?.resourceVersion);
    return list;
  }

  private noteVersion(kind: 'pods' | 'services', rv: string | undefined): void {
    const n = parseResourceVersion(rv);
    if (n !== undefined && n > this.reached[kind]) this.reached[kind] = n;
  }

  /** The watch has reached the point where `o` was written (so it would hold it, had it survived). */
  private passed(kind: 'pods' | 'services', o: V1Pod | V1Service): boolean {
    const n = parseResourceVersion(o.metadata?.resourceVersion);
    return n !== undefined && n <= this.reached[kind];
  }

  private wire<T extends V1Pod | V1Service>(kind: 'pods' | 'services', informer: Informer<T>): void {
    const changed = (o: T) => {
      this.noteVersion(kind, o.metadata?.resourceVersion);
      const id = idOf(o);
      if (id) this.events.emit('change', id);
    };
    // Once the watch has shown our own write, the overlay has done its job: drop it, so a later
    // deletion by someone else is seen at once instead of hidden until the overlay expires.
    const seen = (o: T) => {
      const id = idOf(o);
      const entry = id ? this.overlay.get(id) : undefined;
      const uid = o.metadata?.uid;
      if (entry && uid) {
        if (kind === 'pods' && entry.pod?.metadata?.uid === uid) entry.pod = undefined;
        if (kind === 'services' && entry.service?.metadata?.uid === uid) entry.service = undefined;
        if (!entry.pod && !entry.service && !entry.deletedUids) this.overlay.delete(id as string);
      }
      changed(o);
    };
    informer.on('add', seen);
    informer.on('update', seen);
    informer.on('delete', changed);
    if (kind === 'pods') {
      // A Pod seen becoming Ready (an update, not the first list): 'ready' with the seconds from
      // its creation, once per Pod. Pods already Ready when the watch starts are not counted.
      informer.on('update', (o: T) => {
        const uid = o.metadata?.uid;
        const ready = (o as V1Pod).status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
        const created = o.metadata?.creationTimestamp;
        if (!uid || !ready?.lastTransitionTime || !created || this.readySeen.has(uid)) return;
        this.readySeen.add(uid);
        const seconds = (new Date(ready.lastTransitionTime).getTime() - new Date(created).getTime()) / 1000;
        if (seconds >= 0) this.events.emit('ready', seconds);
      });
      informer.on('add', (o: T) => {
        // Ready already when first seen: remembered, so a later update does not count it.
        const uid = o.metadata?.uid;
        if (uid && (o as V1Pod).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) this.readySeen.add(uid);
      });
      informer.on('delete', (o: T) => {
        if (o.metadata?.uid) this.readySeen.delete(o.metadata.uid);
      });
    }
    informer.on('error', (err: unknown) => {
      if (this.ready[kind]) this.log(`watch of sandbox ${kind} lost (${(err as Error)?.message ?? err}); listing live until it is back`);
      this.ready[kind] = false;
      this.events.emit('sync', false);
      this.restartLater(kind, informer as Informer<V1Pod>, 1000);
    });
  }

  get synced(): boolean {
    return this.ready.pods && this.ready.services;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all([this.startOne('pods', this.pods), this.startOne('services', this.services)]);
  }

  private async startOne(kind: 'pods' | 'services', informer: Informer<V1Pod> | Informer<V1Service>): Promise<void> {
    let failed = false;
    const onError = () => {
      failed = true;
    };
    informer.on('error', onError);
    try {
      await informer.start(); // errors are reported through the 'error' callback, not thrown
    } catch {
      failed = true;
    } finally {
      informer.off('error', onError);
    }
    if (!failed && !this.stopped) {
      this.ready[kind] = true;
      if (this.synced) this.events.emit('sync', true);
    }
  }

  private restartLater(kind: 'pods' | 'services', informer: Informer<V1Pod> | Informer<V1Service>, delayMs: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.startOne(kind, informer);
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([this.pods.stop(), this.services.stop()]);
  }

  noteCreated(sandboxId: string, pod: V1Pod | undefined, service: V1Service | undefined): void {
    // The watch may have delivered them already (before this call): then no overlay is needed.
    const watched = <T extends V1Pod | V1Service>(o: T | undefined, informer: Informer<T>) =>
      o?.metadata?.name !== undefined && informer.get(o.metadata.name, this.namespace)?.metadata?.uid === o.metadata?.uid;
    const entry: Overlay = {
      pod: watched(pod, this.pods) ? undefined : pod,
      service: watched(service, this.services) ? undefined : service,
      expires: Date.now() + OVERLAY_TTL_MS,
    };
    if (entry.pod || entry.service) this.overlay.set(sandboxId, entry);
    else this.overlay.delete(sandboxId);
  }

  noteDeleted(sandboxId: string, uids: (string | undefined)[]): void {
    this.overlay.set(sandboxId, {
      deletedUids: new Set(uids.filter((u): u is string => Boolean(u))),
      expires: Date.now() + OVERLAY_TTL_MS,
    });
  }

  /** Pods and Services by sandbox id: the watched state with our own recent writes applied. */
  objects(): { pods: Map<string, V1Pod>; services: Map<string, V1Service> } {
    const pods = new Map<string, V1Pod>();
    const services = new Map<string, V1Service>();
    for (const p of this.pods.list()) {
      const id = idOf(p);
      if (id) pods.set(id, p);
    }
    for (const s of this.services.list()) {
      const id = idOf(s);
      if (id) services.set(id, s);
    }
    const now = Date.now();
    for (const id of [...this.overlay.keys()]) {
      const seen = this.withOverlay(id, pods.get(id), services.get(id), now);
      setOrDelete(pods, id, seen.pod);
      setOrDelete(services, id, seen.service);
    }
    return { pods, services };
  }

  /** One sandbox's Pod and Service, as `objects()` would give them, without building the whole view. */
  objectsOf(sandboxId: string): { pod: V1Pod | undefined; service: V1Service | undefined } {
    return this.withOverlay(
      sandboxId,
      this.pods.get(podName(sandboxId), this.namespace),
      this.services.get(serviceName(sandboxId), this.namespace),
      Date.now(),
    );
  }

  /** The watched objects of one id with our recent write (if any) applied; spent entries are dropped. */
  private withOverlay(
    id: string,
    pod: V1Pod | undefined,
    service: V1Service | undefined,
    now: number,
  ): { pod: V1Pod | undefined; service: V1Service | undefined } {
    const o = this.overlay.get(id);
    if (!o) return { pod, service };
    if (o.expires < now) {
      this.overlay.delete(id);
      return { pod, service };
    }
    if (o.deletedUids) {
      const hidden = (x: V1Pod | V1Service | undefined) => x !== undefined && o.deletedUids?.has(x.metadata?.uid ?? '');
      return { pod: hidden(pod) ? undefined : pod, service: hidden(service) ? undefined : service };
    }
    // Ours stand in until the watch has them (or while it still shows the one we replaced);
    // once the watch is past them without holding them, someone deleted them: drop them.
    if (o.pod && !pod && this.passed('pods', o.pod)) o.pod = undefined;
    if (o.service && !service && this.passed('services', o.service)) o.service = undefined;
    return {
      pod: o.pod && (!pod || pod.metadata?.deletionTimestamp) ? o.pod : pod,
      service: o.service && (!service || service.metadata?.deletionTimestamp) ? o.service : service,
    };
  }
}

function setOrDelete<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

/**
 * resourceVersions are opaque to clients in principle; with etcd they are its revision, a
 * growing integer. Anything else (undefined here) just keeps the overlay to its time limit.
 */
export function parseResourceVersion(rv: string | undefined): bigint | undefined {
  return rv && /^\d{1,30}$/.test(rv) ? BigInt(rv) : undefined;
}
