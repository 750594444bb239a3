// The test control plane: real etcd, kube-apiserver, kube-controller-manager, kube-scheduler
// built from Go modules (build.sh), and kwok simulating one node so Pods run, logs stream and
// exec works through the real API server. Processes are started detached so the cluster
// outlives `npm run cluster:up`; their pids and ports live in a state file outside the checkout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { createPki, type Pki } from './pki.js';

const here = dirname(fileURLToPath(import.meta.url));

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

interface ComponentState {
  pid: number;
  bin: string;
  args: string[];
  log: string;
}

export interface ClusterState {
  /** Admin kubeconfig (client certificate of a system:masters user). */
  kubeconfig: string;
  server: string;
  runDir: string;
  binDir: string;
  /** CRI-format log file every Pod's container "writes" (kwok ClusterLogs, followed). */
  podLogFile: string;
  /** Folder where `exec` commands run by default (kwok ClusterExec, local). */
  execDir: string;
  nodeName: string;
  pki: Pki;
  components: Record<ComponentName, ComponentState>;
}

type Log = (line: string) => void;

export function cacheDir(): string {
  return (
    process.env.SPD_CLUSTER_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sandbox-provisioner-desktop', 'cluster')
  );
}

export function runDir(): string {
  return process.env.SPD_CLUSTER_RUN_DIR ?? join(cacheDir(), 'run');
}

const stateFile = () => join(runDir(), 'state.json');

export function readVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(here, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** Builds missing binaries (cached by version) and returns the bin directory. */
export async function ensureBinaries(
  log: Log,
): Promise<Record<ComponentName | 'kubectl' | 'kwokStages' | 'kwokCrds' | 'kind' | 'docker', string>> {
  const proc = execa('bash', [join(here, 'build.sh'), 'all'], { stdin: 'ignore', stderr: 'pipe', stdout: 'pipe' });
  proc.stderr?.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.trim()) log(l);
  });
  const { stdout } = await proc;
  const binRoot = stdout.trim().split('\n').pop() ?? '';
  const v = readVersions();
  const k8s = join(binRoot, `kubernetes-${v.K8S_VERSION}`);
  const kwok = join(binRoot, `kwok-${v.KWOK_VERSION}-${v.KWOK_BUILD}`);
  return {
    etcd: join(binRoot, `etcd-${v.ETCD_VERSION}`, 'etcd'),
    'kube-apiserver': join(k8s, 'kube-apiserver'),
    'kube-controller-manager': join(k8s, 'kube-controller-manager'),
    'kube-scheduler': join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    kwok: join(kwok, 'kwok'),
    kwokStages: join(kwok, 'stage'),
    kwokCrds: join(kwok, 'crd'),
    kind: join(binRoot, `kind-${v.KIND_VERSION}`, 'kind'),
    docker: join(binRoot, `docker-cli-${v.DOCKER_CLI_VERSION}`, 'docker'),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * True while the process runs. A killed process whose parent has gone is reparented to pid 1,
 * which in containers may never reap it: such a zombie answers kill(0) but is dead.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

function startProcess(bin: string, args: string[], log: string): number {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${bin}`);
  return child.pid;
}

async function stopPid(pid: number, timeoutMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Admin TLS material, read once per cluster start (readiness polls call apiGet many times). */
const tlsCache = new Map<string, { ca: Buffer; cert: Buffer; key: Buffer }>();
function adminTls(pki: Pki) {
  let t = tlsCache.get(pki.dir);
  if (!t) {
    t = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
    tlsCache.set(pki.dir, t);
  }
  return t;
}

/** GET a path on the API server as the admin user; resolves with status and body. */
export function apiGet(
  state: Pick<ClusterState, 'server' | 'pki'>,
  path: string,
  timeoutMs = 3000,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, state.server);
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...adminTls(state.pki), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, component?: ComponentState): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (component && !isAlive(component.pid)) {
      throw new Error(`${what}: the process exited; see ${component.log}:\n${tail(component.log)}`);
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${component ? `; see ${component.log}:\n${tail(component.log)}` : ''}`,
  );
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function readState(): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function writeState(state: ClusterState): void {
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
}

/** True when every process of a recorded cluster runs and the API server says it is ready. */
export async function isHealthy(state: ClusterState): Promise<boolean> {
  if (!Object.values(state.components).every((c) => isAlive(c.pid))) return false;
  try {
    return (await apiGet(state, '/readyz', 2000)).status === 200;
  } catch {
    return false;
  }
}

function writeKubeconfig(path: string, server: string, pki: Pki): void {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'spd-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: 'spd-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name: 'spd-test', context: { cluster: 'spd-test', user: 'spd-admin' } }],
    'current-context': 'spd-test',
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}

function kwokConfig(stagesDir: string, podLogFile: string, execDir: string): string {
  const stages = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ].map((f) => readFileSync(join(stagesDir, f), 'utf8').trim());
  const clusterLogs = stringify({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterLogs',
    metadata: { name: 'all-pods' },
    spec: { selector: {}, logs: [{ containers: [], logsFile: podLogFile, previousLogsFile: podLogFile, follow: true }] },
  }).trim();
  const clusterExec = stringify({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterExec',
    metadata: { name: 'all-pods' },
    spec: { selector: {}, execs: [{ containers: [], local: { workDir: execDir } }] },
  }).trim();
  return `${[...stages, clusterLogs, clusterExec].join('\n---\n')}\n`;
}

/** Starts the control plane, or returns the running one. */
export async function up(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<ClusterState> {
  const existing = readState();
  if (existing && (await isHealthy(existing))) {
    log('[cluster] reusing the running control plane');
    return existing;
  }
  if (existing) {
    log('[cluster] a previous control plane is not healthy; stopping it');
    await down(log);
  }

  const bins = await ensureBinaries(log);
  const started = Date.now();
  const dir = runDir();
  rmSync(dir, { recursive: true, force: true });
  tlsCache.clear(); // new certificates in the same folder
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const execDir = join(dir, 'kwok', 'exec');
  mkdirSync(execDir, { recursive: true });
  const podLogFile = join(dir, 'kwok', 'pod.log');
  writeFileSync(podLogFile, `${new Date().toISOString()} stdout F sandbox container started (kwok simulated log)\n`);

  log('[cluster] creating certificates');
  const pki = await createPki(join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort, kwokPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server, pki);
  const logOf = (n: string) => join(dir, 'logs', `${n}.log`);

  const args: Record<ComponentName, string[]> = {
    etcd: [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--quota-backend-bytes=4294967296',
    ],
    'kube-apiserver': [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-client-certificate=${pki.adminCert}`,
      `--kubelet-client-key=${pki.adminKey}`,
      '--allow-privileged=true',
      // Tests create hundreds of objects quickly; the defaults would throttle them.
      '--max-requests-inflight=0',
      '--max-mutating-requests-inflight=0',
      '--enable-priority-and-fairness=false',
    ],
    'kube-controller-manager': [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=true',
      '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route',
      '--kube-api-qps=500',
      '--kube-api-burst=1000',
    ],
    'kube-scheduler': [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--kube-api-qps=500',
      '--kube-api-burst=1000',
    ],
    kwok: [
      `--kubeconfig=${kubeconfig}`,
      `--config=${join(dir, 'kwok', 'kwok.yaml')}`,
      '--manage-all-nodes=true',
      '--node-ip=127.0.0.1',
      `--node-port=${kwokPort}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      '--cidr=10.244.0.0/16',
      '--node-lease-duration-seconds=40',
      '--enable-crds=Exec,Logs,PortForward',
    ],
  };
  writeFileSync(join(dir, 'kwok', 'kwok.yaml'), kwokConfig(bins.kwokStages, podLogFile, execDir));

  const components = {} as Record<ComponentName, ComponentState>;
  const start = (name: ComponentName) => {
    const c = { bin: bins[name], args: args[name], log: logOf(name), pid: 0 };
    c.pid = startProcess(c.bin, c.args, c.log);
    components[name] = c;
    return c;
  };
  const state: ClusterState = {
    kubeconfig,
    server,
    runDir: dir,
    binDir: dirname(bins['kube-apiserver']),
    podLogFile,
    execDir,
    nodeName: 'spd-node',
    pki,
    components,
  };

  try {
    log('[cluster] starting etcd');
    const etcd = start('etcd');
    await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 30_000, etcd);

    log('[cluster] starting kube-apiserver');
    const api = start('kube-apiserver');
    writeState(state);
    await waitFor('kube-apiserver /readyz', async () => (await apiGet(state, '/readyz')).status === 200, 90_000, api);

    const kubectl = (...a: string[]) => execa(bins.kubectl, [`--kubeconfig=${kubeconfig}`, ...a], { stdin: 'ignore' });
    // kwok reads per-Pod Exec, Logs and PortForward objects from the API server (tests point a
    // Pod's exec at a folder of their own, its port at a local server); their CRDs ship in the kwok module.
    for (const f of ['kwok.x-k8s.io_execs.yaml', 'kwok.x-k8s.io_logs.yaml', 'kwok.x-k8s.io_portforwards.yaml'])
      await kubectl('apply', '-f', join(bins.kwokCrds, f));

    log('[cluster] starting kube-controller-manager, kube-scheduler and kwok');
    start('kube-controller-manager');
    start('kube-scheduler');
    await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/execs.kwok.x-k8s.io',
      'crd/logs.kwok.x-k8s.io',
      'crd/portforwards.kwok.x-k8s.io',
    );
    start('kwok');
    writeState(state);

    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: state.nodeName,
        labels: { 'kubernetes.io/hostname': state.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: {},
      // Like a real node, it offers ephemeral storage (sandbox Pods request it) and room for
      // thousands of Pods (benchmarks); kwok keeps these values.
      status: {
        capacity: { cpu: '64', memory: '256Gi', 'ephemeral-storage': '1Ti', pods: '10000' },
        allocatable: { cpu: '64', memory: '256Gi', 'ephemeral-storage': '1Ti', pods: '10000' },
      },
    };
    writeFileSync(join(dir, 'kwok', 'node.json'), JSON.stringify(node));
    await kubectl('apply', '-f', join(dir, 'kwok', 'node.json'));

    await waitFor(
      'node Ready',
      async () => {
        const r = await kubectl('get', 'node', state.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
        return r.stdout.trim() === 'True';
      },
      60_000,
      components.kwok,
    );
    await waitFor(
      'the default ServiceAccount',
      async () => (await apiGet(state, '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      60_000,
      components['kube-controller-manager'],
    );
    writeState(state);
    log(`[cluster] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return state;
  } catch (e) {
    await down(() => {});
    throw e;
  }
}

/** Stops every process of the recorded cluster and removes its state. */
export async function down(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const state = readState();
  if (state) {
    // Reverse start order: clients first, storage last.
    const order: ComponentName[] = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
    for (const name of order) {
      const c = state.components[name];
      if (c) await stopPid(c.pid);
    }
    log('[cluster] stopped');
  }
  rmSync(runDir(), { recursive: true, force: true });
}

/**
 * Stops one component (fault tests stop the API server in the middle of traffic).
 * SIGKILL stands for a crash; SIGTERM lets it shut down gracefully.
 */
export async function stopComponent(name: ComponentName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const state = readState();
  const c = state?.components[name];
  if (c) await stopPid(c.pid, 5_000, signal);
}

/** Starts a stopped component again with the same arguments and waits until it is ready. */
export async function startComponent(name: ComponentName): Promise<void> {
  const state = readState();
  if (!state) throw new Error('no control plane is recorded; run npm run cluster:up');
  const c = state.components[name];
  if (isAlive(c.pid)) return;
  c.pid = startProcess(c.bin, c.args, c.log);
  writeState(state);
  if (name === 'kube-apiserver') {
    await waitFor('kube-apiserver /readyz', async () => (await apiGet(state, '/readyz')).status === 200, 90_000, c);
  }
}

export function listLogs(): string[] {
  const dir = join(runDir(), 'logs');
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
}
