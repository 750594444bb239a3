// The desktop core: what the UI can do, over one cluster connection that can be switched to
// another context. It owns the settings, the connection (provisioner + watch), the optional
// provisioner API for DeerFlow's containers (port 8002), and long jobs; it turns watch
// changes into `sandbox` events (coalesced per id; each looked up alone, not by listing all).
// Transport-free: the desk API (app/server/desk-api.ts) translates HTTP to these methods.
import { EventEmitter } from 'node:events';
import { isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { type KubeConfig, Log } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { probeContext, summarizeContexts } from '../cluster/contexts.js';
import { InvalidPlanError } from '../cluster/data-folders.js';
import { type ImagePresence, imagePresence, imageTargetOf, loadSandboxImage } from '../cluster/images.js';
import { createKindCluster, deleteKindCluster } from '../cluster/kind.js';
import { kindClusterNameProblem, provisionerEnvForKind } from '../cluster/kind-config.js';
import { detectLocalTools } from '../cluster/local-tools.js';
import { provisionerEnvForMinikube, startMinikube } from '../cluster/minikube.js';
import { type ClusterRequest, kindPlanFor, minikubePlanFor } from '../cluster/plans.js';
import type { ProvisionerConfig } from '../config/config.js';
import { containerEndpoint, containerKubeconfig, FileExistsError, writePrivateFile } from '../kube/container-kubeconfig.js';
import { ClusterError, toClusterError, withTimeout } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { checkNoSandboxesRunning, type GuardResult } from '../migration/guard.js';
import type { CreateSandboxInput, Sandbox } from '../sandbox/model.js';
import { podName } from '../sandbox/names.js';
import { ValidationError } from '../sandbox/provisioner.js';
import { toSandbox } from '../sandbox/specs.js';
import { type ClusterConnection, connectCluster, listenProvisionerApi } from '../server/serve.js';
import type {
  ClusterStatus,
  DeskEvent,
  DeskSettings,
  JobView,
  LogEvent,
  LogsOptions,
  MigrationScanView,
  ProvisionerApiState,
  ToolsStatus,
} from './contract.js';
import { type JobContext, JobRegistry } from './jobs.js';
import { DeskMigrations, type MigrationRequest } from './migrations.js';
import { toSandboxDetail } from './sandbox-detail.js';
import { SettingsStore } from './settings-store.js';
import type { DeskSettingsView, SandboxDetail } from './views.js';

/** No cluster is in use (kubeconfig missing or broken, context unusable). */
export class NoClusterError extends ClusterError {
  constructor(reason: string) {
    super('unreachable', `no cluster in use: ${reason}`);
  }
}

export interface DeskCoreOptions {
  settingsFile: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Serve the provisioner API for DeerFlow's containers from the start (default: as it was left). */
  provisionerApi?: boolean;
}

const COALESCE_MS = 30;
const LOG_BATCH_MS = 50;

export class DeskCore {
  /** Emits 'event' with a DeskEvent. */
  readonly events = new EventEmitter();
  readonly jobs = new JobRegistry();
  readonly settings: SettingsStore;
  private conn: ClusterConnection | undefined;
  private problem: string | undefined;
  private config: ProvisionerConfig;
  private api: { app: FastifyInstance; url: string } | undefined;
  private apiError: string | undefined;
  private readonly log: (line: string) => void;
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly env: Record<string, string | undefined>;

  constructor(private readonly opts: DeskCoreOptions) {
    this.env = opts.env ?? process.env;
    this.log = opts.log ?? (() => {});
    this.settings = new SettingsStore(opts.settingsFile, this.env);
    this.config = this.settings.config();
    this.jobs.events.on('job', (job: JobView) => this.emit({ type: 'job', job }));
    this.events.setMaxListeners(100);
  }

  /**
   * Connects to the cluster of the saved (or current) context. `requireCluster`: a connection
   * failure is thrown (headless serve) instead of shown in the UI (desktop).
   */
  async start(opts: { requireCluster?: boolean } = {}): Promise<void> {
    const error = await this.connect(this.settings.context);
    if (error && opts.requireCluster) throw error;
    if (this.opts.provisionerApi ?? this.settings.provisionerApi) await this.setProvisionerApi(true);
  }

  /** Saved settings that replace a variable set in the environment (worth a warning at start). */
  overriddenEnv(): string[] {
    const merged = this.settings.env();
    return this.settings.savedNames().filter((k) => this.env[k] !== undefined && this.env[k] !== merged[k]);
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.setProvisionerApi(false);
    await this.conn?.close();
    this.conn = undefined;
  }

  private emit(e: DeskEvent): void {
    this.events.emit('event', e);
  }

  // ---- connection ------------------------------------------------------------------------

  private async connect(context: string | undefined): Promise<Error | undefined> {
    const old = this.conn;
    this.conn = undefined;
    await old?.close();
    try {
      this.config = this.settings.config();
      const conn = await connectCluster(this.config, this.log, { context });
      this.conn = conn;
      this.problem = undefined;
      conn.cache.events.on('change', (id: string) => this.sandboxChanged(id));
      conn.cache.events.on('sync', (watching: boolean) => {
        if (this.conn !== conn) return;
        this.emit(
          watching
            ? { type: 'watch', watching: true }
            : { type: 'watch', watching: false, message: `lost the watch on ${conn.server}; retrying` },
        );
      });
    } catch (e) {
      this.problem = (e as Error).message;
      this.log(`no cluster: ${this.problem}`);
      this.emit({ type: 'cluster' });
      return e as Error;
    }
    this.emit({ type: 'cluster' });
    return undefined;
  }

  private connection(): ClusterConnection {
    if (!this.conn) throw new NoClusterError(this.problem ?? 'not connected');
    return this.conn;
  }

  private sandboxChanged(id: string): void {
    this.pending.add(id);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const ids = [...this.pending];
      this.pending.clear();
      const conn = this.conn;
      if (!conn) return;
      for (const sid of ids) {
        const { pod, service } = conn.cache.objectsOf(sid);
        this.emit({ type: 'sandbox', id: sid, sandbox: pod || service ? toSandbox(this.config, sid, pod, service) : null });
      }
    }, COALESCE_MS);
  }

  // ---- sandboxes -------------------------------------------------------------------------

  async listSandboxes(): Promise<{ sandboxes: Sandbox[]; watching: boolean }> {
    const conn = this.connection();
    return { sandboxes: await conn.provisioner.list({ includeIncomplete: true }), watching: conn.cache.synced };
  }

  createSandbox(input: CreateSandboxInput): Promise<Sandbox> {
    return this.connection().provisioner.create(input);
  }

  async deleteSandbox(id: string): Promise<{ ok: true; sandbox_id: string }> {
    await this.connection().provisioner.delete(id);
    return { ok: true, sandbox_id: id };
  }

  async sandboxDetail(id: string): Promise<SandboxDetail> {
    const { pod, service, podEvents, serviceEvents } = await this.connection().provisioner.inspect(id);
    if (!pod && !service) throw new ValidationError('id', `sandbox ${id} does not exist`, 'path');
    return toSandboxDetail(this.config, id, pod, service, { pod: podEvents, service: serviceEvents });
  }

  /**
   * Streams the sandbox container's log as batches of lines (every 50 ms at most), until the
   * container's stream ends (not following, or it stopped) or `signal` aborts.
   */
  async streamLogs(id: string, opts: LogsOptions, onEvent: (e: LogEvent) => void, signal: AbortSignal): Promise<void> {
    const { kc } = this.connection();
    const stream = new PassThrough();
    let batch: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (batch.length) onEvent({ type: 'lines', lines: batch });
      batch = [];
    };
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      batch.push(line);
      timer ??= setTimeout(flush, LOG_BATCH_MS);
    });
    const done = new Promise<string>((resolve) => {
      lines.on('close', () => resolve(opts.follow ? 'the container stopped or the stream closed' : 'end of log'));
      stream.on('error', (e) => resolve(e.message));
      signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    let req: AbortController | undefined;
    try {
      req = await new Log(kc).log(this.config.namespace, podName(id), 'sandbox', stream, {
        follow: opts.follow ?? false,
        previous: opts.previous ?? false,
        timestamps: opts.timestamps ?? false,
        ...(opts.tailLines ? { tailLines: opts.tailLines } : {}),
      });
    } catch (e) {
      lines.close();
      onEvent({ type: 'error', message: logError(e, id) });
      return;
    }
    signal.addEventListener('abort', () => req?.abort(), { once: true });
    const reason = await done;
    if (timer) clearTimeout(timer);
    flush();
    onEvent({ type: 'end', reason });
  }

  // ---- cluster ---------------------------------------------------------------------------

  async clusterStatus(): Promise<ClusterStatus> {
    let kc: KubeConfig;
    let origin: string;
    try {
      ({ kc, origin } = loadKubeConfig({ kubeconfigPath: this.config.kubeconfigPath }, this.env));
    } catch (e) {
      return emptyStatus(this.config.namespace, (e as Error).message);
    }
    const current = this.conn?.context;
    const contexts = summarizeContexts(kc).map((c) => ({ ...c, current: c.name === (current ?? kc.getCurrentContext()) }));
    if (!this.conn)
      return {
        ...emptyStatus(this.config.namespace, this.problem),
        kubeconfig: origin,
        contexts,
        current: current ?? kc.getCurrentContext(),
      };
    const { core, server } = this.conn;
    const [reachability, nodeCount] = await Promise.all([
      probeContext(this.conn.kc, this.conn.context),
      withTimeout(core.listNode(), 3000, 'list Nodes', server).then(
        (n) => n.items.length,
        () => undefined,
      ),
    ]);
    const cluster = this.conn.kc.getCurrentCluster();
    const containerApiServer = cluster ? containerEndpoint(cluster).endpoint.server : undefined;
    return {
      kubeconfig: origin,
      contexts,
      current: this.conn.context,
      reachability,
      nodeCount,
      containerApiServer,
      namespace: this.config.namespace,
      watching: this.conn.cache.synced,
      problem: undefined,
    };
  }

  async useContext(name: string): Promise<ClusterStatus> {
    const { kc } = loadKubeConfig({ kubeconfigPath: this.config.kubeconfigPath }, this.env);
    if (!kc.getContextObject(name)) throw new ValidationError('name', `context "${name}" is not in the kubeconfig`);
    this.settings.setContext(name);
    await this.connect(name);
    await this.restartProvisionerApi();
    return this.clusterStatus();
  }

  tools(): Promise<ToolsStatus> {
    return detectLocalTools();
  }

  imageStatus(): Promise<ImagePresence> {
    const { kc, server } = this.connection();
    return imagePresence(kc, this.config.sandboxImage).catch((e: unknown) => {
      throw toClusterError(e, server);
    });
  }

  async createKindCluster(body: ClusterRequest & { name: string; dataDir: string }): Promise<JobView> {
    const plan = await asFieldErrors(() => kindPlanFor(body));
    return this.jobs.start('kind-create', `Create kind cluster "${plan.name}"`, async (ctx) => {
      const { context } = await createKindCluster(plan, { onLine: ctx.line, signal: ctx.signal });
      return this.useNewCluster(ctx, context, provisionerEnvForKind(plan));
    });
  }

  /** `minikube start` with the data folder mounted; its node IP becomes NODE_HOST. */
  async createMinikubeCluster(body: ClusterRequest & { name: string; dataDir: string }): Promise<JobView> {
    const plan = await asFieldErrors(async () => minikubePlanFor(body));
    return this.jobs.start('minikube-start', `Start minikube "${plan.profile}"`, async (ctx) => {
      const { context, nodeIp } = await startMinikube(plan, { onLine: ctx.line, signal: ctx.signal });
      ctx.line(`started: node IP ${nodeIp} (NODE_HOST)`);
      return this.useNewCluster(ctx, context, provisionerEnvForMinikube(plan, nodeIp));
    });
  }

  /** After a cluster was made: its provisioner settings saved, its context in use. */
  private async useNewCluster(ctx: JobContext, context: string, env: Record<string, string>): Promise<JobView['result']> {
    ctx.line(`switching to context ${context} and applying the provisioner settings`);
    this.settings.update(env);
    await this.useContext(context);
    return { context, env };
  }

  deleteKindCluster(name: string): JobView {
    const problem = kindClusterNameProblem(name);
    if (problem) throw new ValidationError('name', problem);
    return this.jobs.start('kind-delete', `Delete kind cluster "${name}"`, async (ctx) => {
      await deleteKindCluster(name, { onLine: ctx.line, signal: ctx.signal });
      this.emit({ type: 'cluster' });
      return {};
    });
  }

  /** The container kubeconfig of the context in use, written to `path` (mode 600, never over a file unless `replace`). */
  exportContainerKubeconfig(body: { path: string; host?: string; replace?: boolean }): {
    path: string;
    apiServer: string;
    warnings: string[];
  } {
    if (!isAbsolute(body.path)) throw new ValidationError('path', 'must be an absolute path');
    const out = containerKubeconfig(this.connection().kc, { host: body.host });
    try {
      writePrivateFile(body.path, out.yaml, { replace: body.replace });
    } catch (e) {
      if (e instanceof FileExistsError) throw new ValidationError('path', `${body.path} exists; choose another file or allow replacing it`);
      throw e;
    }
    return { path: body.path, apiServer: out.apiServer, warnings: out.warnings };
  }

  loadImage(): JobView {
    const conn = this.connection();
    const target = imageTargetOf(summarizeContexts(conn.kc).find((c) => c.name === conn.context));
    if (!target)
      throw new ValidationError(
        'context',
        `the current context (${conn.context}) is not a kind or minikube cluster; load the image with your cluster's own tooling`,
      );
    const image = this.config.sandboxImage;
    return this.jobs.start('load-image', `Load ${image}`, async (ctx) => {
      await loadSandboxImage(image, target, { onLine: ctx.line, signal: ctx.signal });
      return {};
    });
  }

  // ---- settings and the provisioner API --------------------------------------------------

  getSettings(): DeskSettingsView {
    return this.settings.view();
  }

  async saveSettings(update: DeskSettings): Promise<DeskSettingsView> {
    const view = this.settings.save(update);
    await this.connect(this.settings.context);
    await this.restartProvisionerApi();
    return view;
  }

  provisionerApiState(): ProvisionerApiState {
    return { running: Boolean(this.api), url: this.api?.url, error: this.apiError };
  }

  async setProvisionerApi(running: boolean): Promise<ProvisionerApiState> {
    if (!running) {
      const api = this.api;
      this.api = undefined;
      await api?.app.close();
      return this.provisionerApiState();
    }
    if (this.api) return this.provisionerApiState();
    try {
      this.api = await listenProvisionerApi(this.config, this.connection().provisioner, this.log);
      this.apiError = undefined;
      this.log(
        `provisioner API listening on ${this.api.url} (namespace ${this.config.namespace}${this.config.apiKey ? ', API key required' : ''})`,
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.apiError =
        code === 'EADDRINUSE'
          ? `port ${this.config.port} is already in use (another provisioner?); stop it, or choose another port (PROVISIONER_PORT, serve --port, or Settings)`
          : (e as Error).message;
    }
    return this.provisionerApiState();
  }

  /** The person switched the provisioner API on or off: as they leave it, it starts next time. */
  async switchProvisionerApi(running: boolean): Promise<ProvisionerApiState> {
    const state = await this.setProvisionerApi(running);
    this.settings.setProvisionerApi(state.running);
    return state;
  }

  private async restartProvisionerApi(): Promise<void> {
    if (!this.api) return;
    await this.setProvisionerApi(false);
    await this.setProvisionerApi(true);
  }

  // ---- migration (app/desk/migrations.ts) -------------------------------------------------

  private guard = async (): Promise<GuardResult> => {
    if (!this.conn) return { state: 'unreachable', message: this.problem ?? 'no cluster in use' };
    return checkNoSandboxesRunning(this.conn.core, this.config.namespace, this.conn.server);
  };

  private readonly migrations = new DeskMigrations({
    jobs: this.jobs,
    kubeConfig: () => this.connection().kc,
    namespace: () => this.config.namespace,
    guard: this.guard,
    log: (line) => this.log(line),
  });

  scanMigration(body: MigrationRequest): Promise<MigrationScanView> {
    return this.migrations.scan(body);
  }

  runMigration(body: MigrationRequest): JobView {
    return this.migrations.run(body);
  }
}

/** Plan problems ("--option: what is wrong") as a 422 on the form's field (the first problem). */
const FIELD_OF_OPTION: Record<string, string> = {
  '--name': 'name',
  '--data-dir': 'dataDir',
  '--skills-dir': 'skillsDir',
  '--node-ports': 'nodePorts',
  '--listen-address': 'nodePorts',
};

async function asFieldErrors<T>(plan: () => Promise<T>): Promise<T> {
  try {
    return await plan();
  } catch (e) {
    if (!(e instanceof InvalidPlanError)) throw e;
    const m = /^(--[a-z-]+): (.*)$/s.exec(e.problems[0] ?? '');
    throw new ValidationError(FIELD_OF_OPTION[m?.[1] ?? ''] ?? 'name', m?.[2] ?? e.message);
  }
}

function emptyStatus(namespace: string, problem: string | undefined): ClusterStatus {
  return {
    kubeconfig: '',
    contexts: [],
    current: undefined,
    reachability: undefined,
    nodeCount: undefined,
    containerApiServer: undefined,
    namespace,
    watching: false,
    problem,
  };
}

function logError(e: unknown, id: string): string {
  const body = (e as { body?: unknown })?.body;
  const text = typeof body === 'string' ? body : ((e as Error)?.message ?? String(e));
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (parsed.message) return `logs of sandbox ${id}: ${parsed.message}`;
  } catch {
    // not JSON: use as is
  }
  return `logs of sandbox ${id}: ${text}`;
}
