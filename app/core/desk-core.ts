// The desktop core: what the UI can do, over one cluster connection that can be switched to
// another context. It owns the settings, the connection (provisioner + watch), the optional
// provisioner API for DeerFlow's containers (port 8002), and long jobs; it turns watch
// changes into `sandbox` events (coalesced per id; each looked up alone, not by listing all).
// Transport-free: the desk API (app/server/desk-api.ts) translates HTTP to these methods.
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { probeContext, summarizeContexts } from '../cluster/contexts.js';
import { type ImagePresence, imagePresence } from '../cluster/images.js';
import { detectLocalTools } from '../cluster/local-tools.js';
import type { ProvisionerConfig } from '../config/config.js';
import type {
  ClaimView,
  ClusterStatus,
  DeskEvent,
  DeskService,
  InputOf,
  JobView,
  LogEvent,
  LogsOptions,
  MigrationScanView,
  ProvisionerApiState,
  TerminalEvent,
  TerminalView,
  ToolsStatus,
  UsageView,
} from '../desk/contract.js';
import { JobRegistry } from '../desk/jobs.js';
import { type ContainerKubeconfigExport, DeskLocalClusters } from '../desk/local-clusters.js';
import { DeskMigrations } from '../desk/migrations.js';
import { DeskSandboxAccess } from '../desk/sandbox-access.js';
import { toSandboxDetail } from '../desk/sandbox-detail.js';
import type { Download } from '../desk/sandbox-files.js';
import { streamSandboxLogs } from '../desk/sandbox-logs.js';
import { readUsage } from '../desk/sandbox-usage.js';
import { SettingsStore } from '../desk/settings-store.js';
import type { DeskSettingsView, SandboxDetail } from '../desk/views.js';
import { containerEndpoint } from '../kube/container-kubeconfig.js';
import { ClusterError, toClusterError, withTimeout } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { checkNoSandboxesRunning, type DataTarget, type GuardResult } from '../migration/guard.js';
import type { Sandbox } from '../sandbox/model.js';
import { SandboxNotFoundError, ValidationError } from '../sandbox/provisioner.js';
import { toSandbox } from '../sandbox/specs.js';
import { type ClusterConnection, connectCluster } from './connection.js';

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
  /**
   * Starts the provisioner API's HTTP listener for a provisioner (app/server's
   * listenProvisionerApi): handed in by whoever builds the core, so the core imports no HTTP.
   */
  listen: ProvisionerApiListener;
}

export type ProvisionerApiListener = (
  config: ProvisionerConfig,
  provisioner: ClusterConnection['provisioner'],
  log: (line: string) => void,
) => Promise<{ app: { close: () => Promise<unknown> }; url: string }>;

const COALESCE_MS = 30;

export class DeskCore implements DeskService {
  /** Emits 'event' with a DeskEvent. */
  readonly events = new EventEmitter();
  readonly jobRegistry = new JobRegistry();
  readonly settings: SettingsStore;
  private conn: ClusterConnection | undefined;
  private problem: string | undefined;
  private config: ProvisionerConfig;
  private api: Awaited<ReturnType<ProvisionerApiListener>> | undefined;
  private apiError: string | undefined;
  /** Whether the provisioner API should run (serve's flag, or as the person last left it). */
  private apiWanted = false;
  private readonly log: (line: string) => void;
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly env: Record<string, string | undefined>;
  private readonly access: DeskSandboxAccess;

  constructor(private readonly opts: DeskCoreOptions) {
    this.env = opts.env ?? process.env;
    this.log = opts.log ?? (() => {});
    this.settings = new SettingsStore(opts.settingsFile, this.env);
    this.config = this.settings.config();
    this.jobRegistry.events.on('job', (job: JobView) => this.emit({ type: 'job', job }));
    this.events.setMaxListeners(100);
    this.access = new DeskSandboxAccess({
      connection: () => {
        const { kc, provisioner } = this.connection();
        return {
          kc,
          pod: async (id) => (await provisioner.objectsOf(id)).pod,
          noteUse: (id) => void provisioner.noteUse(id),
        };
      },
      config: () => this.config,
      screensDir: join(dirname(opts.settingsFile), 'terminal-screens'),
    });
  }

  /**
   * Connects to the cluster of the saved (or current) context. `requireCluster`: a connection
   * failure is thrown (headless serve) instead of shown in the UI (desktop).
   */
  async start(opts: { requireCluster?: boolean } = {}): Promise<void> {
    const error = await this.connect(this.settings.context);
    if (error && opts.requireCluster) throw error;
    this.apiWanted = this.opts.provisionerApi ?? this.settings.provisionerApi;
    if (this.apiWanted) await this.runProvisionerApi(true);
  }

  /** The cluster connection in use, if any (the headless entry hands its provisioner to tests). */
  connected(): ClusterConnection | undefined {
    return this.conn;
  }

  /** Saved settings that replace a variable set in the environment (worth a warning at start). */
  overriddenEnv(): string[] {
    const merged = this.settings.env();
    return this.settings.savedNames().filter((k) => this.env[k] !== undefined && this.env[k] !== merged[k]);
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.access.terminals.closeAll();
    this.access.forwards.closeAll();
    await this.runProvisionerApi(false);
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
    // An address Open made leads to a Pod of the old cluster: it goes with it.
    this.access.forwards.closeAll();
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
        if (!pod) this.access.forwards.close(sid); // its address leads nowhere now
        this.emit({ type: 'sandbox', id: sid, sandbox: pod || service ? toSandbox(this.config, sid, pod, service) : null });
      }
    }, COALESCE_MS);
  }

  // ---- sandboxes -------------------------------------------------------------------------

  async listSandboxes(): Promise<{ sandboxes: Sandbox[]; watching: boolean }> {
    const conn = this.connection();
    return { sandboxes: await conn.provisioner.list({ includeIncomplete: true }), watching: conn.cache.synced };
  }

  /**
   * Unlike the provisioner API (idempotent, as DeerFlow needs), the Create dialog means a new
   * sandbox: an id in use is said on its field instead of answering the existing one as created.
   */
  async createSandbox({ body }: InputOf<'createSandbox'>): Promise<Sandbox> {
    const conn = this.connection();
    // The body's schema has checked the id already (it names objects safely).
    const existing = await conn.provisioner.objectsOf(body.sandbox_id);
    if (existing.pod || existing.service)
      throw new ValidationError(
        'sandbox_id',
        `"${body.sandbox_id}" is in use by a sandbox already: open it from the list, or choose another id`,
      );
    return conn.provisioner.create(body);
  }

  async deleteSandbox({ params }: InputOf<'deleteSandbox'>): Promise<{ ok: true; sandbox_id: string }> {
    await this.connection().provisioner.delete(params.id);
    return { ok: true, sandbox_id: params.id };
  }

  async sandboxDetail({ params: { id } }: InputOf<'sandboxDetail'>): Promise<SandboxDetail> {
    const { pod, service, podEvents, serviceEvents } = await this.connection().provisioner.inspect(id);
    if (!pod && !service) throw new SandboxNotFoundError(id); // 404, as the provisioner API answers
    return toSandboxDetail(this.config, id, pod, service, { pod: podEvents, service: serviceEvents });
  }

  /** Keep (SANDBOX_IDLE_SECONDS): a use recorded now. */
  keepSandbox({ params: { id } }: InputOf<'keepSandbox'>): Promise<Sandbox> {
    return this.connection().provisioner.keep(id);
  }

  /**
   * The sandbox container's log as batches of lines (app/desk/sandbox-logs.ts). Watching it is
   * using the sandbox: a use is recorded at the start and, while it is followed, as time passes.
   */
  async streamLogs(id: string, opts: LogsOptions, onEvent: (e: LogEvent) => void, signal: AbortSignal): Promise<void> {
    const { provisioner, kc } = this.connection();
    void provisioner.noteUse(id);
    const idle = this.config.idleSeconds;
    const stillUsed = idle === undefined ? undefined : setInterval(() => void provisioner.noteUse(id), Math.max(1000, (idle * 1000) / 10));
    try {
      await streamSandboxLogs(kc, this.config.namespace, id, opts, onEvent, signal, async () => (await provisioner.objectsOf(id)).pod);
    } finally {
      if (stillUsed) clearInterval(stillUsed);
    }
  }

  // ---- terminals and files (app/desk/sandbox-access.ts) ------------------------------------

  listTerminals({ params }: InputOf<'listTerminals'>): TerminalView[] {
    return this.access.terminals.list(params.id);
  }

  openTerminal({ params, body }: InputOf<'openTerminal'>): Promise<TerminalView> {
    return this.access.terminals.open(params.id, body.cols, body.rows);
  }

  reconnectTerminal({ params }: InputOf<'reconnectTerminal'>): Promise<TerminalView> {
    return this.access.terminals.reconnect(params.tid);
  }

  terminalInput({ params, body }: InputOf<'terminalInput'>): { ok: true } {
    this.access.terminals.input(params.tid, body.data);
    return { ok: true };
  }

  resizeTerminal({ params, body }: InputOf<'resizeTerminal'>): TerminalView {
    return this.access.terminals.resize(params.tid, body.cols, body.rows);
  }

  closeTerminal({ params }: InputOf<'closeTerminal'>): { ok: true } {
    this.access.terminals.close(params.tid);
    return { ok: true };
  }

  /** A terminal's screen, then its output (the desk API's terminal stream). */
  attachTerminal(tid: string, onEvent: (e: TerminalEvent) => void, signal: AbortSignal): Promise<void> {
    return this.access.terminals.attach(tid, onEvent, signal);
  }

  async openSandbox({ params: { id } }: InputOf<'openSandbox'>): Promise<{ url: string }> {
    return { url: await this.access.open(id) };
  }

  /** Addresses Open made (the desktop window opens only these and the sandboxes' own URLs). */
  openedAddresses(): { sandbox_id: string; sandbox_url: string }[] {
    return this.access.forwards.addresses();
  }

  async sandboxUsage({ params: { id } }: InputOf<'sandboxUsage'>): Promise<UsageView> {
    const conn = this.connection();
    const { pod } = await conn.provisioner.objectsOf(id);
    if (!pod) throw new SandboxNotFoundError(id);
    return readUsage(conn.core, this.config.namespace, pod);
  }

  async listFiles({ params, body }: InputOf<'listFiles'>) {
    return (await this.access.files(params.id, body.via)).list(body.path);
  }

  async downloadFile(id: string, path: string, via?: 'host' | 'cluster'): Promise<Download> {
    return (await this.access.files(id, via)).download(path);
  }

  async uploadFile(id: string, name: string, body: Readable): Promise<string> {
    return (await this.access.files(id)).upload(name, body);
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

  async useContext({ body: { name } }: InputOf<'useContext'>): Promise<ClusterStatus> {
    const { kc } = loadKubeConfig({ kubeconfigPath: this.config.kubeconfigPath }, this.env);
    if (!kc.getContextObject(name)) throw new ValidationError('name', `context "${name}" is not in the kubeconfig`);
    this.settings.setContext(name);
    await this.connect(name);
    await this.reconcileProvisionerApi();
    return this.clusterStatus();
  }

  imageStatus(): Promise<ImagePresence> {
    const { kc, server } = this.connection();
    return imagePresence(kc, this.config.sandboxImage).catch((e: unknown) => {
      throw toClusterError(e, server);
    });
  }

  // ---- local clusters (app/desk/local-clusters.ts) -----------------------------------------

  private readonly localClusters = new DeskLocalClusters({
    jobs: this.jobRegistry,
    connection: () => this.connection(),
    sandboxImage: () => this.config.sandboxImage,
    applySettings: (env) => this.settings.update(env),
    useContext: (name) => this.useContext({ params: {}, body: { name } }),
    clustersChanged: () => this.emit({ type: 'cluster' }),
  });

  tools(): Promise<ToolsStatus> {
    return detectLocalTools();
  }

  createKindCluster({ body }: InputOf<'createKindCluster'>): Promise<JobView> {
    return this.localClusters.createKind(body);
  }

  createMinikubeCluster({ body }: InputOf<'createMinikubeCluster'>): Promise<JobView> {
    return this.localClusters.createMinikube(body);
  }

  deleteKindCluster({ body }: InputOf<'deleteKindCluster'>): JobView {
    return this.localClusters.deleteKind(body.name);
  }

  exportContainerKubeconfig({ body }: InputOf<'exportContainerKubeconfig'>): ContainerKubeconfigExport {
    return this.localClusters.exportContainerKubeconfig(body);
  }

  loadImage(): JobView {
    return this.localClusters.loadImage();
  }

  // ---- settings and the provisioner API --------------------------------------------------

  getSettings(): DeskSettingsView {
    return this.settings.view();
  }

  async saveSettings({ body: update }: InputOf<'saveSettings'>): Promise<DeskSettingsView> {
    const view = this.settings.save(update);
    await this.connect(this.settings.context);
    await this.reconcileProvisionerApi();
    return view;
  }

  provisionerApi(): ProvisionerApiState {
    return { running: Boolean(this.api), url: this.api?.url, error: this.apiError };
  }

  /** Starts or stops the listener, remembering nothing (see setProvisionerApi for the person's switch). */
  private async runProvisionerApi(running: boolean): Promise<ProvisionerApiState> {
    if (!running) {
      const api = this.api;
      this.api = undefined;
      await api?.app.close();
      return this.provisionerApi();
    }
    if (this.api) return this.provisionerApi();
    try {
      this.api = await this.opts.listen(this.config, this.connection().provisioner, this.log);
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
    return this.provisionerApi();
  }

  /** The person switched the provisioner API on or off: as they leave it, it starts next time. */
  async setProvisionerApi({ body: { running } }: InputOf<'setProvisionerApi'>): Promise<ProvisionerApiState> {
    const state = await this.runProvisionerApi(running);
    this.apiWanted = state.running;
    this.settings.setProvisionerApi(state.running);
    return state;
  }

  /**
   * After the cluster or the settings changed: the provisioner API runs on the new connection
   * if it is wanted — also when it could not run on the previous one (a switch to a context
   * that failed, then back, left it off while the settings said on); else apiError says why.
   */
  private async reconcileProvisionerApi(): Promise<void> {
    await this.runProvisionerApi(false);
    if (this.apiWanted) await this.runProvisionerApi(true);
  }

  // ---- migration (app/desk/migrations.ts) -------------------------------------------------

  private guard = async (target: DataTarget): Promise<GuardResult> => {
    if (!this.conn) return { state: 'unreachable', message: this.problem ?? 'no cluster in use' };
    return checkNoSandboxesRunning(this.conn.core, this.config.namespace, this.conn.server, target);
  };

  private readonly migrations = new DeskMigrations({
    jobs: this.jobRegistry,
    kubeConfig: () => this.connection().kc,
    namespace: () => this.config.namespace,
    guard: this.guard,
    log: (line) => this.log(line),
  });

  async listClaims(): Promise<ClaimView[]> {
    const { core } = this.connection();
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: this.config.namespace });
    return claims.items
      .map((c) => ({
        name: c.metadata?.name ?? '',
        phase: c.status?.phase ?? 'Unknown',
        capacity: c.status?.capacity?.storage ?? c.spec?.resources?.requests?.storage,
        storageClass: c.spec?.storageClassName,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  scanMigration({ body, signal }: InputOf<'scanMigration'>): Promise<MigrationScanView> {
    return this.migrations.scan(body, signal);
  }

  runMigration({ body }: InputOf<'runMigration'>): JobView {
    return this.migrations.run(body);
  }

  undoMigration({ body }: InputOf<'undoMigration'>): JobView {
    return this.migrations.undo(body);
  }

  // ---- jobs ---------------------------------------------------------------------------------

  jobs(): JobView[] {
    return this.jobRegistry.list();
  }

  cancelJob({ params }: InputOf<'cancelJob'>): JobView {
    return this.jobRegistry.cancel(params.id);
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
