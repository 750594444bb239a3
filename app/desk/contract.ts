// The desk API contract: every operation the UI can ask of the core, declared once (method,
// path, input schemas, output type). The server's routes (app/server/desk-api.ts) and the
// renderer's typed client (renderer/src/api/client.ts) are both derived from this table, so
// no path or field name is typed twice. Pure: TypeBox only, safe to bundle into the renderer.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { ContextSummary, Reachability } from '../cluster/contexts.js';
import type { ImagePresence } from '../cluster/images.js';
import type { LocalTools } from '../cluster/local-tools.js';
import type { MigrationReport } from '../migration/execute.js';
import type { Plan } from '../migration/plan.js';
import type { UndoReport } from '../migration/undo.js';
import { CreateSandboxBody, SandboxIdSchema } from '../sandbox/api-schemas.js';
import type { Sandbox } from '../sandbox/model.js';
import type { DeskSettingsView, SandboxDetail } from './views.js';

export interface Operation<P extends TSchema, B extends TSchema, R> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify-style path; `:name` segments are filled from `params`. */
  path: string;
  params: P;
  body: B;
  /** Output type only (the core's own types); validated by the compiler, not at run time. */
  response: R;
}

const None = Type.Object({}, { additionalProperties: false });
type None = typeof None;

function op<R, P extends TSchema = None, B extends TSchema = None>(
  method: Operation<P, B, R>['method'],
  path: string,
  schemas: { params?: P; body?: B } = {},
): Operation<P, B, R> {
  return {
    method,
    path,
    params: (schemas.params ?? None) as P,
    body: (schemas.body ?? None) as B,
    response: undefined as R,
  };
}

const SandboxParams = Type.Object({ id: SandboxIdSchema });
const JobParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });
const AbsolutePath = Type.String({ minLength: 1, maxLength: 4096 });

export const MigrationSourceSchema = Type.Union([
  Type.Object({ kind: Type.Literal('local'), baseDir: AbsolutePath }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('pvc'), claim: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false }),
]);
export type MigrationSource = Static<typeof MigrationSourceSchema>;

const MigrationBody = Type.Object(
  {
    source: MigrationSourceSchema,
    userId: Type.String({ minLength: 1, maxLength: 128 }),
    force: Type.Optional(Type.Boolean()),
    /** 'content': also compare checksums taken before the moves. */
    verify: Type.Optional(Type.Union([Type.Literal('sizes'), Type.Literal('content')])),
  },
  { additionalProperties: false },
);

const UndoBody = Type.Object(
  {
    source: MigrationSourceSchema,
    /** Also put back items changed since the migration (their changes go with them). */
    withChanges: Type.Optional(Type.Boolean()),
    force: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Settings the UI edits: the provisioner's variables (DESIGN's names), plus the context. */
export const SettingsSchema = Type.Object(
  {
    K8S_NAMESPACE: Type.Optional(Type.String({ maxLength: 253 })),
    SANDBOX_IMAGE: Type.Optional(Type.String({ maxLength: 1024 })),
    SANDBOX_SERVICE_TYPE: Type.Optional(Type.String({ maxLength: 32 })),
    NODE_HOST: Type.Optional(Type.String({ maxLength: 253 })),
    SANDBOX_NODE_PORT_RANGE: Type.Optional(Type.String({ maxLength: 32 })),
    DEER_FLOW_HOST_BASE_DIR: Type.Optional(Type.String({ maxLength: 4096 })),
    SKILLS_HOST_PATH: Type.Optional(Type.String({ maxLength: 4096 })),
    THREADS_HOST_PATH: Type.Optional(Type.String({ maxLength: 4096 })),
    SKILLS_PVC_NAME: Type.Optional(Type.String({ maxLength: 253 })),
    USERDATA_PVC_NAME: Type.Optional(Type.String({ maxLength: 253 })),
    LARK_CLI_INIT_IMAGE: Type.Optional(Type.String({ maxLength: 1024 })),
    LARK_CLI_BROKER_IMAGE: Type.Optional(Type.String({ maxLength: 1024 })),
    DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS: Type.Optional(Type.String({ maxLength: 4096 })),
    PROVISIONER_PORT: Type.Optional(Type.String({ maxLength: 8 })),
    SANDBOX_IDLE_SECONDS: Type.Optional(Type.String({ maxLength: 16 })),
    SANDBOX_TTL_SECONDS: Type.Optional(Type.String({ maxLength: 16 })),
    SANDBOX_EGRESS: Type.Optional(Type.String({ maxLength: 16 })),
    SANDBOX_EGRESS_ALLOW: Type.Optional(Type.String({ maxLength: 4096 })),
    /** Write-only: the UI can set or clear it, never read it back (DeskSettingsView.apiKeySet). */
    PROVISIONER_API_KEY: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type DeskSettings = Static<typeof SettingsSchema>;
export const SETTING_NAMES = Object.keys(SettingsSchema.properties) as (keyof DeskSettings)[];

export interface LogsOptions {
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
  tailLines?: number;
}

/**
 * The logs stream's query string as it arrives: text, since the desk API coerces no types
 * (JSON bodies must carry real booleans and numbers). Read with logsOptionsOf.
 */
const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')]);
export const LogsQuery = Type.Object(
  {
    follow: Type.Optional(Flag),
    previous: Type.Optional(Flag),
    timestamps: Type.Optional(Flag),
    tailLines: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$|^1000000$' })),
  },
  { additionalProperties: false },
);

export function logsOptionsOf(query: Static<typeof LogsQuery>): LogsOptions {
  const out: LogsOptions = {};
  if (query.follow) out.follow = query.follow === 'true';
  if (query.previous) out.previous = query.previous === 'true';
  if (query.timestamps) out.timestamps = query.timestamps === 'true';
  if (query.tailLines) out.tailLines = Number(query.tailLines);
  return out;
}

export interface ClusterStatus {
  kubeconfig: string;
  contexts: ContextSummary[];
  current: string | undefined;
  reachability: Reachability | undefined;
  nodeCount: number | undefined;
  /** K8S_API_SERVER for DeerFlow's containers (loopback rewritten), when it can be given. */
  containerApiServer: string | undefined;
  namespace: string;
  /** The sandbox list is live from a watch (false: not synced, e.g. cluster unreachable). */
  watching: boolean;
  /** Why no cluster is in use, when none is (no kubeconfig, malformed, …). */
  problem: string | undefined;
}

export type ToolsStatus = LocalTools;

export interface MigrationScanView {
  plan: Plan;
  pendingJournal: { startedAt: string; steps: number; done: number } | undefined;
  guard: { ok: true; note?: string } | { ok: false; reason: string };
}

/** What each kind of job ends with (its `result` once done). */
export interface JobResults {
  /** The report and where it was saved; `nothingToDo` when the data was in the per-user layout already. */
  migration: { report: MigrationReport; reportFile: string } | { nothingToDo: true };
  /** The undo's report and where it was saved; `nothingToUndo` says why there was nothing. */
  'migration-undo': { report: UndoReport; reportFile: string } | { nothingToUndo: string };
  /** The new cluster's context, switched to, and the provisioner settings applied for it. */
  'kind-create': { context: string; env: Record<string, string> };
  'minikube-start': { context: string; env: Record<string, string> };
  'kind-delete': Record<string, never>;
  'load-image': Record<string, never>;
}
export type JobKind = keyof JobResults;

interface JobBase {
  id: string;
  title: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Whether Cancel can stop it (a migration runs to its end: its journal would resume it anyway). */
  cancellable: boolean;
  /** Last output lines (bounded). */
  lines: string[];
  progress: { done: number; total: number } | undefined;
  error: string | undefined;
  /**
   * Grows with every change. The answer that started a job and the job's first events travel
   * separately, so a quick job's `done` event can arrive before the `running` answer: the UI
   * keeps the snapshot with the highest revision, never the one that came last.
   */
  revision: number;
}

/** A job as the UI sees it: its kind decides the shape of its result. */
export type JobView = { [K in JobKind]: JobBase & { kind: K; result: JobResults[K] | undefined } }[JobKind];

export interface ProvisionerApiState {
  running: boolean;
  url: string | undefined;
  error: string | undefined;
}

const KindCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    dataDir: AbsolutePath,
    skillsDir: Type.Optional(AbsolutePath),
    nodePorts: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);
const ContextBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false });
const MinikubeStartBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), dataDir: AbsolutePath, skillsDir: Type.Optional(AbsolutePath) },
  { additionalProperties: false },
);
const KindDeleteBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const ExportKubeconfigBody = Type.Object(
  { path: AbsolutePath, host: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })), replace: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const RunningBody = Type.Object({ running: Type.Boolean() }, { additionalProperties: false });
const TerminalParams = Type.Object({ tid: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const TerminalSize = Type.Object(
  { cols: Type.Integer({ minimum: 2, maximum: 1000 }), rows: Type.Integer({ minimum: 1, maximum: 500 }) },
  { additionalProperties: false },
);
/** Typed text for a terminal: keystrokes and pastes (a paste of a large file is refused, not cut). */
const TerminalInput = Type.Object({ data: Type.String({ maxLength: 65536 }) }, { additionalProperties: false });
/** A path under the sandbox's /mnt/user-data, relative ("" is the folder itself). */
export const SandboxPath = Type.String({ maxLength: 4096 });
const FilesBody = Type.Object(
  { path: SandboxPath, via: Type.Optional(Type.Union([Type.Literal('host'), Type.Literal('cluster')])) },
  { additionalProperties: false },
);

export const deskOperations = {
  listSandboxes: op<{ sandboxes: Sandbox[]; watching: boolean }>('GET', '/desk/sandboxes'),
  createSandbox: op<Sandbox, None, typeof CreateSandboxBody>('POST', '/desk/sandboxes', { body: CreateSandboxBody }),
  deleteSandbox: op<{ ok: true; sandbox_id: string }, typeof SandboxParams>('DELETE', '/desk/sandboxes/:id', { params: SandboxParams }),
  sandboxDetail: op<SandboxDetail, typeof SandboxParams>('GET', '/desk/sandboxes/:id', { params: SandboxParams }),
  /** Records a use now (SANDBOX_IDLE_SECONDS): the sandbox with its new expiry. */
  keepSandbox: op<Sandbox, typeof SandboxParams>('POST', '/desk/sandboxes/:id/keep', { params: SandboxParams }),
  clusterStatus: op<ClusterStatus>('GET', '/desk/cluster'),
  useContext: op<ClusterStatus, None, typeof ContextBody>('POST', '/desk/cluster/context', { body: ContextBody }),
  tools: op<ToolsStatus>('GET', '/desk/cluster/tools'),
  imageStatus: op<ImagePresence>('GET', '/desk/cluster/image'),
  createKindCluster: op<JobView, None, typeof KindCreateBody>('POST', '/desk/cluster/kind', { body: KindCreateBody }),
  createMinikubeCluster: op<JobView, None, typeof MinikubeStartBody>('POST', '/desk/cluster/minikube', { body: MinikubeStartBody }),
  deleteKindCluster: op<JobView, None, typeof KindDeleteBody>('POST', '/desk/cluster/kind/delete', { body: KindDeleteBody }),
  /** Writes the container kubeconfig to a file (it holds credentials: never sent to the page). */
  exportContainerKubeconfig: op<{ path: string; apiServer: string; warnings: string[] }, None, typeof ExportKubeconfigBody>(
    'POST',
    '/desk/cluster/container-kubeconfig',
    { body: ExportKubeconfigBody },
  ),
  loadImage: op<JobView>('POST', '/desk/cluster/load-image'),
  getSettings: op<DeskSettingsView>('GET', '/desk/settings'),
  saveSettings: op<DeskSettingsView, None, typeof SettingsSchema>('PUT', '/desk/settings', { body: SettingsSchema }),
  provisionerApi: op<ProvisionerApiState>('GET', '/desk/provisioner-api'),
  setProvisionerApi: op<ProvisionerApiState, None, typeof RunningBody>('POST', '/desk/provisioner-api', { body: RunningBody }),
  scanMigration: op<MigrationScanView, None, typeof MigrationBody>('POST', '/desk/migration/scan', { body: MigrationBody }),
  runMigration: op<JobView, None, typeof MigrationBody>('POST', '/desk/migration/run', { body: MigrationBody }),
  /** The namespace's PersistentVolumeClaims (the migration's PVC source is chosen from them). */
  listClaims: op<ClaimView[]>('GET', '/desk/cluster/claims'),
  /** Puts the last completed migration of the source back (as `migrate --undo`), as a job. */
  undoMigration: op<JobView, None, typeof UndoBody>('POST', '/desk/migration/undo', { body: UndoBody }),
  /** The sandbox's terminals: open ones, and ended ones whose screen is kept. */
  listTerminals: op<TerminalView[], typeof SandboxParams>('GET', '/desk/sandboxes/:id/terminals', { params: SandboxParams }),
  openTerminal: op<TerminalView, typeof SandboxParams, typeof TerminalSize>('POST', '/desk/sandboxes/:id/terminals', {
    params: SandboxParams,
    body: TerminalSize,
  }),
  reconnectTerminal: op<TerminalView, typeof TerminalParams>('POST', '/desk/terminals/:tid/reconnect', { params: TerminalParams }),
  terminalInput: op<{ ok: true }, typeof TerminalParams, typeof TerminalInput>('POST', '/desk/terminals/:tid/input', {
    params: TerminalParams,
    body: TerminalInput,
  }),
  resizeTerminal: op<TerminalView, typeof TerminalParams, typeof TerminalSize>('POST', '/desk/terminals/:tid/size', {
    params: TerminalParams,
    body: TerminalSize,
  }),
  closeTerminal: op<{ ok: true }, typeof TerminalParams>('DELETE', '/desk/terminals/:tid', { params: TerminalParams }),
  /** An address on this machine that reaches the sandbox's port (a port-forward, kept while the app runs). */
  openSandbox: op<{ url: string }, typeof SandboxParams>('POST', '/desk/sandboxes/:id/open', { params: SandboxParams }),
  /** CPU, memory and restarts now, from the kubelet's summary (or why there are none). */
  sandboxUsage: op<UsageView, typeof SandboxParams>('GET', '/desk/sandboxes/:id/usage', { params: SandboxParams }),
  /** One folder of the sandbox's /mnt/user-data. */
  listFiles: op<FolderView, typeof SandboxParams, typeof FilesBody>('POST', '/desk/sandboxes/:id/files/list', {
    params: SandboxParams,
    body: FilesBody,
  }),
  jobs: op<JobView[]>('GET', '/desk/jobs'),
  cancelJob: op<JobView, typeof JobParams>('POST', '/desk/jobs/:id/cancel', { params: JobParams }),
};

export type DeskOperations = typeof deskOperations;
export type OperationName = keyof DeskOperations;
export type InputOf<K extends OperationName> = {
  params: Static<DeskOperations[K]['params']>;
  body: Static<DeskOperations[K]['body']>;
  /** Aborted when the caller goes away (the UI's Cancel, a closed window): long work stops. */
  signal?: AbortSignal;
};

/** A part the caller may leave out: one whose schema has no required property. */
type Part<Name extends string, T> = Partial<T> extends T ? { [N in Name]?: T } : { [N in Name]: T };

/** What a caller passes: params and body, each required exactly when its schema requires something. */
export type CallInput<K extends OperationName> = Part<'params', InputOf<K>['params']> &
  Part<'body', InputOf<K>['body']> & { signal?: AbortSignal };

/** The input argument, optional only when nothing in it is required. */
export type CallArgs<K extends OperationName> = Partial<CallInput<K>> extends CallInput<K> ? [input?: CallInput<K>] : [input: CallInput<K>];
export type OutputOf<K extends OperationName> = DeskOperations[K]['response'];

/**
 * What serves the contract: one method per operation, named as the operation, taking its
 * input. The desk core implements it, the desk API routes every operation to it, so adding an
 * operation is its entry above plus that one method (the compiler asks for it).
 */
export type DeskService = { [K in OperationName]: (input: InputOf<K>) => Promise<OutputOf<K>> | OutputOf<K> };

/** Streams (server-sent events), outside the request/response table. */
export const deskStreams = {
  /** `sandbox` {id, sandbox|null}, `watch` {watching, message?}, `job` JobView, `cluster` {}. */
  events: '/desk/events',
  logs: '/desk/sandboxes/:id/logs',
  /** TerminalEvent: the screen as it is, then output, then `ended`. */
  terminal: '/desk/terminals/:tid/stream',
} as const;

/** Raw bytes, outside the JSON table: `?path=` relative to /mnt/user-data. */
export const deskFiles = {
  /** A file as is, or a folder as a .tar (GET). */
  download: '/desk/sandboxes/:id/files/download',
  /** The request body becomes `uploads/<name>` (POST, application/octet-stream; `?name=`). */
  upload: '/desk/sandboxes/:id/files/upload',
} as const;
/** Uploads larger than this are refused (413) before anything is written. */
export const UPLOAD_LIMIT_BYTES = 256 * 1024 * 1024;

export interface TerminalView {
  id: string;
  sandboxId: string;
  title: string;
  state: 'open' | 'ended';
  endedReason: string | undefined;
  openedAt: string;
  cols: number;
  rows: number;
}
export type TerminalEvent = { type: 'screen'; data: string } | { type: 'output'; data: string } | { type: 'ended'; reason: string };

export interface ClaimView {
  name: string;
  phase: string;
  capacity: string | undefined;
  storageClass: string | undefined;
}

export type UsageView =
  | { available: true; cpuMillicores: number; memoryBytes: number; restarts: number; at: string }
  | { available: false; reason: string; restarts: number; at: string };

export interface FileEntry {
  name: string;
  type: 'file' | 'folder' | 'link' | 'other';
  size: number;
  /** ISO time of the last change. */
  modified: string;
}
export interface FolderView {
  /** The folder, relative to /mnt/user-data ("" for itself). */
  path: string;
  entries: FileEntry[];
  /** How the files are read: the host folder directly, or through the cluster (exec). */
  via: 'host' | 'cluster';
  /** Set when there are more entries than shown (the first ones by name are listed). */
  truncated: number | undefined;
}

export type DeskEvent =
  | { type: 'sandbox'; id: string; sandbox: Sandbox | null }
  | { type: 'watch'; watching: boolean; message?: string }
  | { type: 'job'; job: JobView }
  | { type: 'cluster' };

/** Log stream events: batches of lines, then `end` (the container stopped, or not following). */
export type LogEvent = { type: 'lines'; lines: string[] } | { type: 'end'; reason: string } | { type: 'error'; message: string };

/** The header that carries the per-launch token. */
export const TOKEN_HEADER = 'x-desk-token';

/** Fills `:name` segments of a path from params (URI-encoded). */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => encodeURIComponent(String(params[name] ?? '')));
}
