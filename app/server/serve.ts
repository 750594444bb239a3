// Wires the headless provisioner: configuration → kubeconfig → core → HTTP API, plus the
// periodic orphan sweep. Used by `sandbox-provisioner serve`, the desktop core and tests.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost, type ProvisionerConfig } from '../config/config.js';
import { AgentPool, makeApiClient } from '../kube/api-client.js';
import { ClusterError } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { SandboxProvisioner } from '../sandbox/provisioner.js';
import { SandboxWatchCache } from '../sandbox/watch-cache.js';
import { buildProvisionerApi } from './provisioner-api.js';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The core bound to one cluster: provisioner, watch cache and orphan sweep. */
export interface ClusterConnection {
  kc: KubeConfig;
  core: CoreV1Api;
  server: string;
  context: string;
  origin: string;
  provisioner: SandboxProvisioner;
  cache: SandboxWatchCache;
  /** The kept-alive connections of this connection's requests. */
  pool: AgentPool;
  close: () => Promise<void>;
}

export interface RunningProvisioner {
  app: FastifyInstance;
  provisioner: SandboxProvisioner;
  cache: SandboxWatchCache;
  url: string;
  close: () => Promise<void>;
}

export function capabilitiesOf(config: ProvisionerConfig): Record<string, boolean> {
  return {
    // The two keys upstream has and DeerFlow's Gateway reads (Lark Pattern A / B available).
    lark_cli_init_image: config.larkCliInitImage !== undefined,
    lark_cli_broker_image: config.larkCliBrokerImage !== undefined,
    extra_mounts: true,
    user_id: true,
    per_user_data: true,
    node_port_service: config.serviceType === 'NodePort',
    cluster_ip_service: config.serviceType === 'ClusterIP',
    pvc_user_data: config.userdataPvcName !== undefined,
    pvc_skills: config.skillsPvcName !== undefined,
    api_key_required: config.apiKey !== undefined,
    orphan_sweep: true,
  };
}

/**
 * Loads the kubeconfig (optionally another context), makes sure the namespace exists and starts
 * the watch and the orphan sweep. An unreachable cluster is not fatal (it may be starting);
 * rejected credentials or certificates are.
 */
export async function connectCluster(
  config: ProvisionerConfig,
  log: (line: string) => void,
  opts: { context?: string | undefined } = {},
): Promise<ClusterConnection> {
  const { kc, origin, warnings } = loadKubeConfig({ ...config, context: opts.context });
  for (const w of [...config.warnings, ...warnings]) log(`warning: ${w}`);
  const server = kc.getCurrentCluster()?.server ?? '(unknown)';
  log(`kubeconfig ${origin}, context ${kc.getCurrentContext()}, API server ${server}`);

  // One pool of kept-alive connections for this connection's requests (closed with it).
  const pool = new AgentPool();
  const core = makeApiClient(kc, CoreV1Api, pool);
  const provisioner = new SandboxProvisioner(core, config, { server, log });
  try {
    await provisioner.ensureNamespace();
  } catch (e) {
    if (!(e instanceof ClusterError) || e.kind !== 'unreachable') {
      throw new StartupError(`cannot use the cluster: ${(e as Error).message}`);
    }
    log(`warning: ${e.message}; serving anyway, requests answer 503 until it is reachable`);
  }

  // Lists come from a watch once it is synced (no API request per list); until then, live.
  const cache = new SandboxWatchCache(kc, core, config.namespace, log);
  provisioner.attachCache(cache);
  void cache.start();

  const sweepEveryMs = Math.max(1000, (config.orphanGraceSeconds * 1000) / 2);
  const sweep = setInterval(() => {
    provisioner.sweepOrphans().catch((e: Error) => log(`orphan sweep skipped: ${e.message}`));
  }, sweepEveryMs);
  sweep.unref();

  return {
    kc,
    core,
    server,
    context: kc.getCurrentContext(),
    origin,
    provisioner,
    cache,
    pool,
    close: async () => {
      clearInterval(sweep);
      await cache.stop();
      pool.destroy();
    },
  };
}

export function checkListenSafety(config: Pick<ProvisionerConfig, 'apiKey' | 'host'>): void {
  if (!config.apiKey && !isLoopbackHost(config.host)) {
    throw new StartupError(
      `refusing to listen on ${config.host} without an API key: anyone who can reach this address could create and delete Pods. Set PROVISIONER_API_KEY (for example: openssl rand -hex 24) or listen on 127.0.0.1.`,
    );
  }
}

/** The upstream-compatible API for an existing connection, listening on config.host:port. */
export async function listenProvisionerApi(
  config: ProvisionerConfig,
  provisioner: SandboxProvisioner,
  log: (line: string) => void,
): Promise<{ app: FastifyInstance; url: string }> {
  checkListenSafety(config);
  const app = await buildProvisionerApi({ provisioner, apiKey: config.apiKey, log, capabilities: capabilitiesOf(config) });
  const url = await app.listen({ host: config.host, port: config.port });
  return { app, url };
}

export async function startProvisioner(config: ProvisionerConfig, log: (line: string) => void): Promise<RunningProvisioner> {
  checkListenSafety(config);
  const conn = await connectCluster(config, log);
  try {
    const { app, url } = await listenProvisionerApi(config, conn.provisioner, log);
    return {
      app,
      provisioner: conn.provisioner,
      cache: conn.cache,
      url,
      close: async () => {
        await conn.close();
        await app.close();
      },
    };
  } catch (e) {
    await conn.close();
    throw e;
  }
}
