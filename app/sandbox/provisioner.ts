// Sandbox operations against the cluster: create (idempotent), get, list, delete, and the
// sweep that removes Pods left without their Service. Every Kubernetes call goes through
// `call()`, which bounds its time, maps failures to ClusterError and counts requests
// (the benchmark reports them).

import {
  type CoreV1Api,
  type CoreV1Event,
  type NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1NetworkPolicy,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import type { ProvisionerConfig as FullConfig } from '../config/config.js';
import { describeEgress } from '../config/egress.js';
import { nodePortRangeSize } from '../config/node-port-range.js';
import { AppError } from '../errors.js';
import { ClusterError, isConflict, isNotFound, toClusterError, withTimeout } from '../kube/errors.js';
import { EGRESS_POLICY_NAME, egressPolicy, MANAGED_BY } from './egress.js';
import {
  describeExpiry,
  type Expiry,
  type ExpiryRules,
  expiryFields,
  expiryOf,
  isUseWorthRecording,
  LAST_USED_ANNOTATION,
  lastUsedOf,
} from './expiry.js';
import { checkExtraMounts, larkModeOf, normpath, withoutLarkRuntime } from './extra-mounts.js';
import type { CreateSandboxInput, Sandbox } from './model.js';
import { DEFAULT_USER_ID, podName, sandboxIdProblem, serviceName, threadIdProblem, userIdProblem } from './names.js';
import { isPortAllocated, NodePortsExhaustedError, nodePortsOf, pickNodePort } from './node-ports.js';
import { requestedResourcesProblem } from './resources.js';
import {
  buildPod,
  buildService,
  namespaceLabels,
  ownerPodUid,
  SANDBOX_ID_LABEL,
  SANDBOX_SELECTOR,
  type SandboxExtras,
  type SandboxIds,
  type SpecConfig,
  toSandbox,
} from './specs.js';
import type { SandboxWatchCache } from './watch-cache.js';

/** One field's value cannot be used (422 on that field). */
export class ValidationError extends AppError {
  constructor(
    readonly field: string,
    problem: string,
    /** Where the value came from, for API answers: the JSON body or the URL path. */
    readonly where: 'body' | 'path' = 'body',
  ) {
    super('invalid', `${field} ${problem}`, [{ field, message: `${field} ${problem}`, where }]);
  }
}

/** The API server's 403 while a new namespace has no `default` ServiceAccount yet. */
export function isServiceAccountPending(e: unknown): boolean {
  return e instanceof ClusterError && e.kind === 'forbidden' && /error looking up service account .* not found/.test(e.message);
}

export class SandboxNotFoundError extends AppError {
  constructor(readonly sandboxId: string) {
    super('not-found', `Sandbox '${sandboxId}' not found`);
  }
}

export interface ProvisionerOptions {
  /** Upper bound for one Kubernetes request, so callers get an answer instead of a hang. */
  requestTimeoutMs?: number;
  /** Where the API server is, for error messages. */
  server: string;
  log?: (line: string) => void;
  /** NetworkPolicies (SANDBOX_EGRESS); without it no policy is managed (tests of other parts). */
  networking?: NetworkingV1Api;
}

export type ProvisionerConfig = SpecConfig &
  Pick<FullConfig, 'orphanGraceSeconds' | 'nodePortRange' | 'idleSeconds' | 'ttlSeconds' | 'egress'>;

/**
 * Validates create input with the same rules as the API schema, then the extra mounts with
 * upstream's (ExtraMountError, a 400): everything before any cluster call.
 */
export function validateCreateRequest(input: CreateSandboxInput, config: SpecConfig): { ids: SandboxIds; extras: SandboxExtras } {
  const ids = validateCreateInput(input);
  const lark = larkModeOf(input, { init: config.larkCliInitImage, broker: config.larkCliBrokerImage });
  const requested = withoutLarkRuntime(input.extra_mounts ?? [], lark);
  const base = config.hostBaseDir ? normpath(config.hostBaseDir) : undefined;
  const resourcesProblem = requestedResourcesProblem(input.resources, config.resources);
  if (resourcesProblem) throw new ValidationError(resourcesProblem.field, resourcesProblem.problem);
  return {
    ids,
    extras: {
      mounts: checkExtraMounts(requested, base, { pvc: config.userdataPvcName !== undefined }),
      lark,
      ...(input.resources ? { resources: input.resources } : {}),
    },
  };
}

/** Validates create input with the same rules as the API schema; returns normalised ids. */
export function validateCreateInput(input: CreateSandboxInput): { sandboxId: string; threadId: string; userId: string } {
  const idProblem = sandboxIdProblem(input.sandbox_id);
  if (idProblem) throw new ValidationError('sandbox_id', idProblem);
  const threadId = input.thread_id ?? input.sandbox_id; // null or absent: the sandbox id
  const threadProblem = threadIdProblem(threadId);
  if (threadProblem) throw new ValidationError('thread_id', threadProblem);
  const userId = input.user_id ?? DEFAULT_USER_ID;
  const userProblem = userIdProblem(userId);
  if (userProblem) throw new ValidationError('user_id', userProblem);
  return { sandboxId: input.sandbox_id, threadId, userId };
}

/** Listeners of one kind of event (metrics and the like): add returns the function that removes. */
export class Observers<A extends unknown[]> {
  private list: ((...args: A) => void)[] = [];

  add(observer: (...args: A) => void): () => void {
    this.list.push(observer);
    return () => {
      this.list = this.list.filter((o) => o !== observer);
    };
  }

  notify(...args: A): void {
    for (const observe of this.list) observe(...args);
  }
}

export class SandboxProvisioner {
  /** Kubernetes requests made so far (for benchmarks and tests of "constant calls"). */
  apiCalls = 0;
  private readonly inflight = new Map<string, Promise<Sandbox>>();
  /** When attached and synced, list() reads it instead of asking the API server. */
  private cache: SandboxWatchCache | undefined;
  /** The sweep under way, which a second call shares (overlapping sweeps deleted twice). */
  private sweepRun: Promise<string[]> | undefined;
  /** Orphan deletions under way, which creates of the same id wait for. */
  private readonly sweeping = new Map<string, Promise<unknown>>();
  /** NodePorts this process is asking for right now (so concurrent creates pick different ones). */
  private readonly claimedNodePorts = new Set<number>();
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  /** The egress NetworkPolicy being (or once) applied; undefined until asked or after a failure. */
  private egressApplied: Promise<void> | undefined;
  /** Uses recorded on Pods by this process (epoch ms), so a busy sandbox is patched once an interval. */
  private readonly usesRecorded = new Map<string, number>();

  constructor(
    private readonly core: CoreV1Api,
    readonly config: ProvisionerConfig,
    private readonly opts: ProvisionerOptions,
  ) {
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.log = opts.log ?? (() => {});
  }

  attachCache(cache: SandboxWatchCache): void {
    this.cache = cache;
    cache.events.on('ready', (seconds: number) => this.readyObservers.notify(seconds));
  }

  private get ns(): string {
    return this.config.namespace;
  }

  /** Told of every Kubernetes request: what (a fixed set of names), seconds, whether it failed. */
  readonly requestObservers = new Observers<[what: string, seconds: number, failed: boolean]>();
  /** Told the seconds from creation to Ready of each sandbox Pod the watch sees become Ready. */
  readonly readyObservers = new Observers<[seconds: number]>();
  /** Told of each sandbox the sweep removed because it expired, and why. */
  readonly expiryObservers = new Observers<[reason: Expiry['reason']]>();

  private get expiryRules(): ExpiryRules {
    return { idleSeconds: this.config.idleSeconds, ttlSeconds: this.config.ttlSeconds };
  }

  /**
   * A use of the sandbox (a create or get through the API, the app's logs, Keep): written to its
   * Pod's last-used annotation when idle expiry is on and the one recorded is old enough. Not
   * awaited by callers that answer DeerFlow: a failed write only shortens the idle clock.
   */
  async noteUse(sandboxId: string, pod?: V1Pod, force = false): Promise<void> {
    const rules = this.expiryRules;
    if (rules.idleSeconds === undefined) return;
    const now = Date.now();
    const recorded = Math.max(this.usesRecorded.get(sandboxId) ?? 0, (pod && lastUsedOf(pod)) ?? 0) || undefined;
    if (!force && !isUseWorthRecording(recorded, now, rules)) return;
    this.usesRecorded.set(sandboxId, now);
    try {
      await this.call('record use', () =>
        this.core.patchNamespacedPod(
          {
            name: podName(sandboxId),
            namespace: this.ns,
            body: { metadata: { annotations: { [LAST_USED_ANNOTATION]: new Date(now).toISOString() } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
    } catch (e) {
      if (!isNotFound(e)) this.log(`could not record the use of sandbox ${sandboxId}: ${(e as Error).message}`);
    }
  }

  /** Keep (the app's button): records a use now, whatever was recorded; the sandbox's new expiry. */
  async keep(sandboxId: string): Promise<Sandbox> {
    const sandbox = await this.get(sandboxId, { noUse: true });
    await this.noteUse(sandboxId, undefined, true);
    const pod = await this.readPod(sandboxId);
    return pod ? { ...sandbox, ...expiryFields(pod, this.expiryRules) } : sandbox;
  }

  /** Whether lists come from a synced watch (not a live read), for status and metrics. */
  get watchSynced(): boolean {
    return this.cache?.synced ?? false;
  }

  /** One Kubernetes request: bounded in time; 404 and 409 pass through for callers to judge. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.apiCalls++;
    const started = performance.now();
    let failed = true;
    try {
      const result = await withTimeout(fn(), this.timeoutMs, what, this.opts.server);
      failed = false;
      return result;
    } catch (e) {
      // An answer the caller expects (404 while looking, 409 when racing) is not a failure.
      const expected = isNotFound(e) || isConflict(e);
      if (expected) failed = false;
      if (expected || isPortAllocated(e)) throw e;
      const err = toClusterError(e, this.opts.server);
      if (!isServiceAccountPending(err)) this.log(`cluster error during ${what}: ${err.message}`);
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.requestObservers.notify(what, seconds, failed);
    }
  }

  /**
   * Makes the namespace's egress NetworkPolicy match SANDBOX_EGRESS: created or replaced for
   * isolated/allowlist, removed for open (only ours: by name and managed-by label). Called at
   * start-up, so a changed setting (the app reconnects on Save) is applied. An API server that
   * refuses NetworkPolicies (RBAC) is said once; the provisioner serves on, open.
   */
  /**
   * The egress policy applied once per start (retried after a failure). With a policy asked for
   * (isolated, allowlist), creates wait for it: a sandbox never starts less fenced than set.
   */
  applyEgress(): Promise<void> {
    if (!this.opts.networking) return Promise.resolve();
    this.egressApplied ??= this.ensureEgressPolicy(this.opts.networking).catch((e: unknown) => {
      this.egressApplied = undefined;
      throw e;
    });
    return this.egressApplied;
  }

  private async ensureEgressPolicy(networking: NetworkingV1Api): Promise<void> {
    const name = EGRESS_POLICY_NAME;
    const wanted = egressPolicy(this.ns, this.config.egress, { app: 'deer-flow-sandbox' });
    let existing: V1NetworkPolicy | undefined;
    try {
      existing = await this.call('read NetworkPolicy', () => networking.readNamespacedNetworkPolicy({ name, namespace: this.ns }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const ours = existing?.metadata?.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'];
    if (existing && !ours) {
      const message = `NetworkPolicy ${name} in namespace ${this.ns} exists and is not ours (no app.kubernetes.io/managed-by=sandbox-provisioner label): left as it is`;
      this.log(message);
      // Asked to fence sandboxes, and cannot: no sandbox starts until that is sorted out.
      if (wanted)
        throw new AppError(
          'conflict',
          `${message}; SANDBOX_EGRESS=${this.config.egress.mode} cannot be applied, so no sandbox is created. Rename or delete that policy, or set SANDBOX_EGRESS=open`,
        );
      return;
    }
    if (!wanted) {
      if (existing) {
        await this.call('delete NetworkPolicy', () => networking.deleteNamespacedNetworkPolicy({ name, namespace: this.ns }));
        this.log(`egress open: removed NetworkPolicy ${name}`);
      }
      return;
    }
    if (existing) {
      wanted.metadata = { ...wanted.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await this.call('replace NetworkPolicy', () => networking.replaceNamespacedNetworkPolicy({ name, namespace: this.ns, body: wanted }));
    } else await this.call('create NetworkPolicy', () => networking.createNamespacedNetworkPolicy({ namespace: this.ns, body: wanted }));
    this.log(`egress ${describeEgress(this.config.egress)}: NetworkPolicy ${name} applied`);
  }

  async ensureNamespace(): Promise<void> {
    try {
      await this.call('read namespace', () => this.core.readNamespace({ name: this.ns }));
    } catch (e) {
      // Namespaces are cluster-scoped: inside a cluster, the Helm chart's Role (namespaced,
      // least privilege) may not read them. The namespace the chart installs into exists, so
      // go on; a namespace that really is missing shows as a clear 404 on the first create.
      if (e instanceof ClusterError && e.kind === 'forbidden') {
        this.log(`may not read namespace ${this.ns} (403): assuming it exists, as a namespaced Role implies`);
        return;
      }
      if (!isNotFound(e)) throw e;
      try {
        await this.call('create namespace', () =>
          this.core.createNamespace({ body: { metadata: { name: this.ns, labels: namespaceLabels() } } }),
        );
        this.log(`created namespace ${this.ns}`);
      } catch (e2) {
        if (!isConflict(e2)) throw e2;
      }
    }
  }

  /**
   * Creates the sandbox's Pod, then its Service; an existing one is returned as it is, and a
   * half-made one (a Pod without Service, or the reverse) is completed. Concurrent calls for
   * one id in this process share one attempt; across processes 409 AlreadyExists is success.
   */
  create(input: CreateSandboxInput): Promise<Sandbox> {
    const { ids, extras } = validateCreateRequest(input, this.config);
    const running = this.inflight.get(ids.sandboxId);
    if (running) return running;
    const attempt = this.createOnce(ids, extras).finally(() => this.inflight.delete(ids.sandboxId));
    this.inflight.set(ids.sandboxId, attempt);
    return attempt;
  }

  /**
   * The Pod, then its Service owned by it (the owner reference needs the Pod's UID, so the two
   * POSTs go in turn; on a busy API server that costs little, and it lets one DELETE remove
   * both). The rollback rule: a Pod this request made goes when its Service cannot be made.
   */
  private async createOnce(ids: SandboxIds, extras: SandboxExtras): Promise<Sandbox> {
    // A sweep of this id that is under way finishes first (its Pod is being deleted).
    await this.sweeping.get(ids.sandboxId);
    if (this.config.egress.mode !== 'open') await this.applyEgress();
    // The sandbox exists whole in the synced watch (a repeated create, as DeerFlow sends on
    // every acquire): answered from there, as upstream's fast path does from a Service read.
    const known = this.cache?.synced ? this.cache.objectsOf(ids.sandboxId) : undefined;
    if (known?.pod && known.service && isWhole(known.pod, known.service)) {
      const sandbox = toSandbox(this.config, ids.sandboxId, known.pod, known.service);
      if (sandbox.sandbox_url) {
        void this.noteUse(ids.sandboxId, known.pod);
        return sandbox;
      }
    }
    const { pod, created: createdPod } = await this.createOrFindPod(ids, extras);
    let service: V1Service;
    try {
      service = await this.serviceFor(ids.sandboxId, pod);
    } catch (e) {
      if (createdPod) await this.rollbackPod(ids.sandboxId, pod.metadata?.uid);
      throw this.fail('create Service', e);
    }
    if (createdPod) this.log(`created sandbox ${ids.sandboxId} (thread ${ids.threadId}, user ${ids.userId})`);
    if (createdPod) this.usesRecorded.set(ids.sandboxId, Date.now());
    else void this.noteUse(ids.sandboxId, pod);
    this.cache?.noteCreated(ids.sandboxId, pod, service);
    return toSandbox(this.config, ids.sandboxId, pod, service);
  }

  /**
   * The Service of `pod`: made, owned by it. One that exists stands when it is this Pod's or
   * has no owner (made by upstream or by our earlier versions: a half-made sandbox repaired);
   * one an earlier Pod of the id owned, which the garbage collector has yet to remove, is
   * replaced. A POST that failed on our side may still have been carried out: read back.
   */
  private async serviceFor(sandboxId: string, pod: V1Pod): Promise<V1Service> {
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        return await this.createService(sandboxId, pod);
      } catch (e) {
        failure = e;
      }
      if (!isConflict(failure)) {
        const made = await this.serviceAfterFailedCreate(sandboxId, failure);
        if (made) return made;
        throw failure;
      }
      const existing = await this.readService(sandboxId);
      if (!existing) continue; // removed between our POST and our read: made again
      const owner = ownerPodUid(existing);
      if (!owner || owner === pod.metadata?.uid) return existing;
      if (attempt >= 5)
        throw new ClusterError('api', `Service ${serviceName(sandboxId)} still belongs to an earlier Pod of this id; try again`, 409);
      await this.call('replace earlier Service', () =>
        this.core.deleteNamespacedService({
          name: serviceName(sandboxId),
          namespace: this.ns,
          body: { preconditions: { uid: existing.metadata?.uid } },
        }),
      ).catch((e: unknown) => {
        if (!isNotFound(e) && !isConflict(e)) throw e; // gone already, or replaced by another creator
      });
    }
  }

  /**
   * Creates the Pod, or finds the live one that exists. A Pod on its way out (deleted a moment
   * ago, by a client or the sweep) is waited for and replaced rather than answered with; one
   * that went between our create and our read (seen under load) is simply created again.
   */
  private async createOrFindPod(ids: SandboxIds, extras: SandboxExtras): Promise<{ pod: V1Pod; created: boolean }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { pod: await this.createPodEnsuringNamespace(buildPod(this.config, ids, extras)), created: true };
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) throw this.fail('create Pod', e);
      }
      const existing = await this.readPod(ids.sandboxId);
      if (existing && !existing.metadata?.deletionTimestamp) return { pod: existing, created: false };
      if (existing) await this.waitForPodGone(ids.sandboxId);
    }
  }

  /**
   * Creates the Service. With SANDBOX_NODE_PORT_RANGE, its NodePort is the lowest free one of
   * the range; a port another Service took meanwhile (another process, or a Service outside
   * our namespace) is answered "already allocated" by the API server, and the next is tried.
   */
  private async createService(sandboxId: string, owner: V1Pod): Promise<V1Service> {
    const range = this.config.serviceType === 'NodePort' ? this.config.nodePortRange : undefined;
    const post = (nodePort?: number) =>
      this.call('create Service', () =>
        this.core.createNamespacedService({ namespace: this.ns, body: buildService(this.config, sandboxId, nodePort, owner) }),
      );
    if (!range) return post();
    const taken = new Set([...(await this.nodePortsInUse()), ...this.claimedNodePorts]);
    for (let attempt = 0; attempt < nodePortRangeSize(range); attempt++) {
      const port = pickNodePort(range, taken);
      if (port === undefined) break;
      taken.add(port);
      this.claimedNodePorts.add(port);
      try {
        return await post(port);
      } catch (e) {
        if (!isPortAllocated(e)) throw e;
      } finally {
        this.claimedNodePorts.delete(port);
      }
    }
    throw new NodePortsExhaustedError(range);
  }

  /**
   * After a Service POST failed: whether the Service was made anyway. A request that timed out
   * on our side (or lost its connection) may still have been carried out by the API server, so
   * the answer is read back rather than guessed. Undefined means "certainly not made"; when
   * even the read fails, the original error stands and nothing is rolled back (the sweep
   * removes whichever half is left, after the grace period).
   */
  private async serviceAfterFailedCreate(sandboxId: string, e: unknown): Promise<V1Service | undefined> {
    if (!(e instanceof ClusterError) || e.kind !== 'unreachable') return undefined;
    let found: V1Service | undefined;
    try {
      found = await this.readService(sandboxId);
    } catch {
      throw this.fail('create Service', e);
    }
    if (found) this.log(`the Service of ${sandboxId} was created although its request failed on our side (${e.message})`);
    return found;
  }

  private async nodePortsInUse(): Promise<Set<number>> {
    if (this.cache?.synced) return nodePortsOf(this.cache.objects().services.values());
    const list = await this.call('list Services', () =>
      this.core.listNamespacedService({ namespace: this.ns, labelSelector: SANDBOX_SELECTOR }),
    );
    return nodePortsOf(list.items);
  }

  private async waitForPodGone(sandboxId: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.readPod(sandboxId))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new ClusterError('api', `Pod ${podName(sandboxId)} is still terminating after ${timeoutMs / 1000} s; try again later`, 409);
  }

  private async createPodEnsuringNamespace(body: V1Pod): Promise<V1Pod> {
    try {
      return await this.createPodWaitingForServiceAccount(body);
    } catch (e) {
      // The namespace was deleted behind our back: make it again once.
      if (!isNotFound(e)) throw e;
      await this.ensureNamespace();
      return await this.createPodWaitingForServiceAccount(body);
    }
  }

  /**
   * In a namespace made a moment ago, the API server refuses Pods (403) until the controller
   * manager has created its `default` ServiceAccount, even though sandboxes mount no token:
   * wait for it (briefly) instead of failing the first create after start-up.
   */
  private async createPodWaitingForServiceAccount(body: V1Pod, waitMs = 15_000): Promise<V1Pod> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        return await this.call('create Pod', () => this.core.createNamespacedPod({ namespace: this.ns, body }));
      } catch (e) {
        if (!isServiceAccountPending(e) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async rollbackPod(sandboxId: string, uid: string | undefined): Promise<void> {
    try {
      await this.call('roll back Pod', () =>
        this.core.deleteNamespacedPod({
          name: podName(sandboxId),
          namespace: this.ns,
          gracePeriodSeconds: 0,
          body: { preconditions: { uid } },
        }),
      );
      this.log(`rolled back Pod ${podName(sandboxId)} after the Service could not be created`);
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e))
        this.log(`could not roll back Pod ${podName(sandboxId)}: ${(e as Error).message}; the orphan sweep will remove it`);
    }
  }

  private fail(what: string, e: unknown): Error {
    if (e instanceof NodePortsExhaustedError) return e;
    const err = e instanceof ClusterError ? e : toClusterError(e, this.opts.server);
    return err.kind === 'api' ? new ClusterError('api', `${what} failed: ${err.message}`, err.apiStatus) : err;
  }

  /** A read where "not found" is an answer, not an error. */
  private async readOptional<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, fn);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private readPod(sandboxId: string): Promise<V1Pod | undefined> {
    return this.readOptional('read Pod', () => this.core.readNamespacedPod({ name: podName(sandboxId), namespace: this.ns }));
  }

  private readService(sandboxId: string): Promise<V1Service | undefined> {
    return this.readOptional('read Service', () => this.core.readNamespacedService({ name: serviceName(sandboxId), namespace: this.ns }));
  }

  /**
   * Everything the UI shows of one sandbox: its Pod and Service (either may be missing) and
   * the Kubernetes events of each — four requests, bounded and classified like every other.
   */
  async inspect(sandboxId: string): Promise<{
    pod: V1Pod | undefined;
    service: V1Service | undefined;
    podEvents: CoreV1Event[];
    serviceEvents: CoreV1Event[];
  }> {
    // Like get(): an id that cannot name a sandbox names none (and never reaches a field selector).
    if (sandboxIdProblem(sandboxId)) throw new SandboxNotFoundError(sandboxId);
    const events = (name: string) =>
      this.call('list Events', () =>
        this.core.listNamespacedEvent({ namespace: this.ns, fieldSelector: `involvedObject.name=${name}` }),
      ).then((l) => l.items);
    const [pod, service, podEvents, serviceEvents] = await Promise.all([
      this.readPod(sandboxId),
      this.readService(sandboxId),
      events(podName(sandboxId)),
      events(serviceName(sandboxId)),
    ]);
    return { pod, service, podEvents, serviceEvents };
  }

  /**
   * The sandbox with a usable URL, or SandboxNotFoundError (upstream: no URL means 404). A
   * Service whose Pod is gone is no sandbox either (upstream answers it with its URL and status
   * NotFound, so DeerFlow keeps using a dead address): 404, and a create repairs it.
   */
  async get(sandboxId: string, opts: { noUse?: boolean } = {}): Promise<Sandbox> {
    const problem = sandboxIdProblem(sandboxId);
    if (problem) throw new SandboxNotFoundError(sandboxId);
    const { pod, service } = await this.objectsOf(sandboxId);
    const sandbox = toSandbox(this.config, sandboxId, pod, service);
    if (!isUsable(sandbox, pod)) throw new SandboxNotFoundError(sandboxId);
    if (!opts.noUse) void this.noteUse(sandboxId, pod);
    return sandbox;
  }

  /**
   * One sandbox's Pod and Service (either may be missing): from the watch when it is synced,
   * with the list's freshness rules (our own writes seen at once through its overlay); two live
   * reads while it is not (and so 503 when the cluster is gone).
   */
  async objectsOf(sandboxId: string): Promise<{ pod: V1Pod | undefined; service: V1Service | undefined }> {
    if (this.cache?.synced) return this.cache.objectsOf(sandboxId);
    const [pod, service] = await Promise.all([this.readPod(sandboxId), this.readService(sandboxId)]);
    return { pod, service };
  }

  /**
   * Every sandbox in the namespace, joined from two label-selected lists (a constant number
   * of requests however many sandboxes exist). `includeIncomplete` also returns sandboxes
   * without a usable URL or without their Pod (the UI shows them; the upstream API does not).
   */
  async list(opts: { includeIncomplete?: boolean } = {}): Promise<Sandbox[]> {
    const { pods, services } = this.cache?.synced ? this.cache.objects() : await this.listObjects();
    const ids = new Set<string>([...services.keys(), ...(opts.includeIncomplete ? pods.keys() : [])]);
    const out: Sandbox[] = [];
    for (const id of [...ids].sort()) {
      const pod = pods.get(id);
      const s = toSandbox(this.config, id, pod, services.get(id));
      if (opts.includeIncomplete || isUsable(s, pod)) out.push(s);
    }
    return out;
  }

  /**
   * The namespace's sandbox Pods and Services, read live. `purpose` names the reader in the
   * request names (metrics, timeout errors): "list Pods (orphan sweep)" is background work that
   * no API request waited for.
   */
  async listObjects(purpose?: string): Promise<{ pods: Map<string, V1Pod>; services: Map<string, V1Service> }> {
    const why = purpose ? ` (${purpose})` : '';
    const [podList, serviceList] = await Promise.all([
      this.call(`list Pods${why}`, () => this.core.listNamespacedPod({ namespace: this.ns, labelSelector: SANDBOX_SELECTOR })),
      this.call(`list Services${why}`, () => this.core.listNamespacedService({ namespace: this.ns, labelSelector: SANDBOX_SELECTOR })),
    ]);
    const byId = <T extends { metadata?: { labels?: Record<string, string> } }>(items: T[]) => {
      const m = new Map<string, T>();
      for (const item of items) {
        const id = item.metadata?.labels?.[SANDBOX_ID_LABEL];
        if (id) m.set(id, item);
      }
      return m;
    };
    return { pods: byId(podList.items), services: byId(serviceList.items) };
  }

  /**
   * Deletes the sandbox; objects already gone are not an error. A sandbox whose Service its
   * Pod owns (every one we make) is one DELETE: the Pod, by the UID the synced watch holds,
   * and the garbage collector removes the Service once the Pod is gone (the answer hides both
   * at once). Otherwise (no synced watch, the watch behind, a Service made by upstream) the
   * Service and the Pod are deleted by name, at once.
   */
  async delete(sandboxId: string): Promise<{ ok: true; sandbox_id: string }> {
    const problem = sandboxIdProblem(sandboxId);
    if (problem) throw new ValidationError('sandbox_id', problem, 'path');
    const known = this.cache?.synced ? this.cache.objectsOf(sandboxId) : undefined;
    const uid = known?.pod?.metadata?.uid;
    let deleted = false;
    if (uid && known?.service && ownerPodUid(known.service) === uid) {
      try {
        await this.call('delete Pod', () =>
          this.core.deleteNamespacedPod({ name: podName(sandboxId), namespace: this.ns, body: { preconditions: { uid } } }),
        );
        this.cache?.noteDeleted(sandboxId, [uid, known.service.metadata?.uid]);
        deleted = true;
      } catch (e) {
        // The watch was behind: that Pod is gone or was replaced. Both by name, below.
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    if (!deleted) {
      const ignoreMissing = (e: unknown) => {
        if (!isNotFound(e)) throw e;
      };
      const [service, pod] = await Promise.all([
        this.call('delete Service', () => this.core.deleteNamespacedService({ name: serviceName(sandboxId), namespace: this.ns })).catch(
          ignoreMissing,
        ),
        this.call('delete Pod', () => this.core.deleteNamespacedPod({ name: podName(sandboxId), namespace: this.ns })).catch(ignoreMissing),
      ]);
      this.cache?.noteDeleted(sandboxId, [service?.metadata?.uid, pod?.metadata?.uid]);
    }
    this.usesRecorded.delete(sandboxId);
    this.log(`deleted sandbox ${sandboxId}`);
    return { ok: true, sandbox_id: sandboxId };
  }

  /**
   * Deletes sandboxes past their expiry (SANDBOX_IDLE_SECONDS, SANDBOX_TTL_SECONDS; off when
   * neither is set): the Pod by UID, and its Service by name unless the Pod owns it (then it
   * goes with the Pod). A sandbox being created now is skipped, and each one is read again
   * right before deleting, so a use recorded meanwhile (by another replica too) saves it.
   * Returns the ids removed.
   */
  async sweepExpired(now = Date.now()): Promise<string[]> {
    const rules = this.expiryRules;
    if (rules.idleSeconds === undefined && rules.ttlSeconds === undefined) return [];
    // From the synced watch when there is one (the orphan sweep has just listed live); each
    // candidate is read live again below before anything is deleted.
    const { pods } = this.cache?.synced ? this.cache.objects() : await this.listObjects('expiry sweep');
    const expired = (pod: V1Pod) => {
      const e = expiryOf(pod, rules, this.usesRecorded.get(pod.metadata?.labels?.[SANDBOX_ID_LABEL] ?? ''));
      return e && e.at <= now ? e : undefined;
    };
    const removed: string[] = [];
    for (const [id, listed] of pods) {
      if (listed.metadata?.deletionTimestamp || !expired(listed) || this.inflight.has(id)) continue;
      const pod = await this.readPod(id);
      const why = pod && !pod.metadata?.deletionTimestamp ? expired(pod) : undefined;
      if (!pod || !why || this.inflight.has(id)) continue;
      try {
        await this.call('delete expired Pod', () =>
          this.core.deleteNamespacedPod({ name: podName(id), namespace: this.ns, body: { preconditions: { uid: pod.metadata?.uid } } }),
        );
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) continue; // gone, or replaced by a new sandbox of that id
        throw e;
      }
      // A Service the Pod owns goes with it (the garbage collector); any other is deleted here.
      const service = this.cache?.synced ? this.cache.objectsOf(id).service : undefined;
      if (!service || ownerPodUid(service) !== pod.metadata?.uid)
        await this.call('delete expired Service', () =>
          this.core.deleteNamespacedService({ name: serviceName(id), namespace: this.ns }),
        ).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
      this.cache?.noteDeleted(id, [pod.metadata?.uid, service?.metadata?.uid]);
      this.usesRecorded.delete(id);
      removed.push(id);
      this.expiryObservers.notify(why.reason);
      this.log(`expired sandbox ${id}: ${describeExpiry(why, rules)}`);
    }
    return removed;
  }

  /**
   * Removes half-made sandboxes older than the grace period: Pods without their Service (a
   * crash between "create Pod" and "create Service") and Services without their Pod (a delete
   * racing a create, a Pod removed by hand, a Service POST that landed after we gave up).
   * Returns the ids it removed something of. One sweep at a time: a call while one runs gets
   * that sweep's answer (overlapping sweeps deleted the same orphans twice).
   */
  sweepOrphans(now = Date.now()): Promise<string[]> {
    this.sweepRun ??= this.sweepOnce(now).finally(() => {
      this.sweepRun = undefined;
    });
    return this.sweepRun;
  }

  private async sweepOnce(now: number): Promise<string[]> {
    const { pods, services } = await this.listObjects('orphan sweep');
    const graceMs = this.config.orphanGraceSeconds * 1000;
    const ageOf = (o: V1Pod | V1Service) => now - (o.metadata?.creationTimestamp ? new Date(o.metadata.creationTimestamp).getTime() : now);
    const removed: string[] = [];
    const halves: { id: string; kind: 'Pod' | 'Service'; uid: string | undefined; age: number }[] = [];
    for (const [id, pod] of pods)
      if (!services.has(id) && !pod.metadata?.deletionTimestamp && ageOf(pod) >= graceMs)
        halves.push({ id, kind: 'Pod', uid: pod.metadata?.uid, age: ageOf(pod) });
    for (const [id, service] of services)
      if (!pods.has(id) && !service.metadata?.deletionTimestamp && ageOf(service) >= graceMs)
        halves.push({ id, kind: 'Service', uid: service.metadata?.uid, age: ageOf(service) });

    for (const half of halves) {
      // A create of this id may have started (here, or in another process that made the
      // missing half since the list): skip it now, and look again right before deleting.
      if (this.inflight.has(half.id)) continue;
      const deletion = (async () => {
        const otherHalf = half.kind === 'Pod' ? await this.readService(half.id) : await this.readPod(half.id);
        if (otherHalf || this.inflight.has(half.id)) return false;
        const body = { preconditions: { uid: half.uid } };
        if (half.kind === 'Pod')
          await this.call('delete orphan Pod', () => this.core.deleteNamespacedPod({ name: podName(half.id), namespace: this.ns, body }));
        else
          await this.call('delete orphan Service', () =>
            this.core.deleteNamespacedService({ name: serviceName(half.id), namespace: this.ns, body }),
          );
        return true;
      })();
      this.sweeping.set(
        half.id,
        deletion.catch(() => undefined),
      );
      try {
        if (await deletion) {
          removed.push(half.id);
          const name = half.kind === 'Pod' ? podName(half.id) : serviceName(half.id);
          const missing = half.kind === 'Pod' ? 'Service' : 'Pod';
          this.log(`removed orphan ${half.kind} ${name} (no ${missing} for ${Math.round(half.age / 1000)} s)`);
          this.cache?.noteDeleted(half.id, [half.uid]);
        }
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      } finally {
        this.sweeping.delete(half.id);
      }
    }
    return removed;
  }
}

/**
 * Whether a sandbox can be handed to DeerFlow: it has an address and a Pod behind it that is
 * not shutting down (upstream, whose delete removes the Service first, answers that one 404 too).
 */
function isUsable(sandbox: Sandbox, pod: V1Pod | undefined): boolean {
  return Boolean(sandbox.sandbox_url) && pod !== undefined && !pod.metadata?.deletionTimestamp;
}

/** Pod and Service make one live sandbox: neither is on its way out, and the Service is this Pod's (or no Pod's). */
function isWhole(pod: V1Pod, service: V1Service): boolean {
  if (pod.metadata?.deletionTimestamp || service.metadata?.deletionTimestamp) return false;
  const owner = ownerPodUid(service);
  return !owner || owner === pod.metadata?.uid;
}
