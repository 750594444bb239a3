// The composition root's first half: a running core bound to one cluster, assembled from
// configuration — kubeconfig, kept-alive client, provisioner, watch cache and the orphan sweep.
// `serve`, the desktop app and the tests all connect through here.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api, type CoreV1Api, type KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import type { ProvisionerConfig } from '../config/config.js';
import { AgentPool, makeApiClient } from '../kube/api-client.js';
import { makeCoreApi } from '../kube/core-api.js';
import { ClusterError } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { LeaseElection } from '../kube/lease.js';
import { SandboxProvisioner } from '../sandbox/provisioner.js';
import { SandboxWatchCache } from '../sandbox/watch-cache.js';

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
  const core = makeCoreApi(kc, pool);
  const networking = makeApiClient(kc, NetworkingV1Api, pool);
  const provisioner = new SandboxProvisioner(core, config, { server, log, networking });
  try {
    await provisioner.ensureNamespace();
    // SANDBOX_EGRESS applied now; if it cannot be, creates retry it first (and fail until it is).
    await provisioner.applyEgress().catch((e: Error) => log(`warning: the egress policy is not applied yet: ${e.message}`));
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
  // With SWEEP_LEASE_NAME, replicas take turns by a Lease: only its holder sweeps. The lease
  // outlives three sweep intervals, so a live holder keeps it and a dead one is replaced.
  const lease = config.sweepLeaseName
    ? new LeaseElection(
        makeApiClient(kc, CoordinationV1Api, pool),
        config.namespace,
        config.sweepLeaseName,
        `${hostname()}-${randomBytes(3).toString('hex')}`,
        Math.max(15, Math.ceil((3 * sweepEveryMs) / 1000)),
      )
    : undefined;
  let leading = false;
  const sweep = setInterval(() => {
    void (async () => {
      if (lease) {
        const holds = await lease.holds();
        if (holds !== leading)
          log(
            holds
              ? `holding lease ${config.sweepLeaseName}: this instance sweeps`
              : `lease ${config.sweepLeaseName} is held by another instance: it sweeps`,
          );
        leading = holds;
        if (!holds) return;
      }
      await provisioner.sweepOrphans();
      await provisioner.sweepExpired();
    })().catch((e: Error) => log(`orphan sweep skipped: ${e.message}`));
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
