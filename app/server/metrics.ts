// GET /metrics for the provisioner API, in Prometheus text format (prom-client): requests by
// operation and outcome, create latency (the API's answer, and creation to Ready), sandboxes present, whether lists come from a synced
// watch, and every Kubernetes request's duration. Labels are bounded: operations and outcomes
// are fixed sets, Kubernetes requests are named by the provisioner's own fixed strings; no
// sandbox id, user or path ever becomes a label.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SandboxProvisioner } from '../sandbox/provisioner.js';

/** Route of the provisioner API → operation label. Anything else is not counted. */
const OPERATIONS: Record<string, string> = {
  'POST /api/sandboxes': 'create',
  'GET /api/sandboxes': 'list',
  'GET /api/sandboxes/:sandbox_id': 'get',
  'DELETE /api/sandboxes/:sandbox_id': 'delete',
};

export function outcomeOf(status: number): 'ok' | 'client_error' | 'unavailable' | 'server_error' {
  if (status < 400) return 'ok';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'client_error' : 'server_error';
}

export function operationOf(method: string, routeUrl: string | undefined): string | undefined {
  return routeUrl === undefined ? undefined : OPERATIONS[`${method} ${routeUrl}`];
}

export class ProvisionerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'sandbox_provisioner_requests_total',
    help: 'Provisioner API requests by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly createSeconds = new Histogram({
    name: 'sandbox_provisioner_create_seconds',
    help: 'Time POST /api/sandboxes took to answer, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly kubeSeconds = new Histogram({
    name: 'sandbox_provisioner_kubernetes_request_seconds',
    help: 'Kubernetes API requests made by the provisioner, by request and outcome',
    labelNames: ['request', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  private readonly timeToReady = new Histogram({
    name: 'sandbox_provisioner_time_to_ready_seconds',
    help: 'From a sandbox Pod’s creation to Ready, for Pods the watch saw become Ready',
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly expired = new Counter({
    name: 'sandbox_provisioner_expired_total',
    help: 'Sandboxes the sweep removed because they expired, by reason (idle: SANDBOX_IDLE_SECONDS, ttl: SANDBOX_TTL_SECONDS)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly stopObserving: () => void;
  private readonly stopObservingReady: () => void;
  private readonly stopObservingExpiry: () => void;

  constructor(provisioner: SandboxProvisioner) {
    this.stopObservingReady = provisioner.readyObservers.add((seconds) => this.timeToReady.observe(seconds));
    this.stopObservingExpiry = provisioner.expiryObservers.add((reason) => this.expired.inc({ reason }));
    for (const reason of ['idle', 'ttl'] as const) this.expired.inc({ reason }, 0); // present at 0 before the first
    this.stopObserving = provisioner.requestObservers.add((what, seconds, failed) =>
      this.kubeSeconds.observe({ request: what, outcome: failed ? 'error' : 'ok' }, seconds),
    );
    new Gauge({
      name: 'sandbox_provisioner_watch_synced',
      help: '1 when sandbox lists come from a synced watch, 0 while they are read live',
      registers: [this.registry],
      collect() {
        this.set(provisioner.watchSynced ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sandbox_provisioner_sandboxes',
      help: 'Sandboxes present in the namespace (absent while the cluster cannot be read)',
      registers: [this.registry],
      async collect() {
        // Only from the synced watch: a scrape must not cost the API server a list.
        if (provisioner.watchSynced) this.set((await provisioner.list()).length);
      },
    });
  }

  /** Counts one answered request of the provisioner API. */
  record(method: string, routeUrl: string | undefined, status: number, seconds: number): void {
    const operation = operationOf(method, routeUrl);
    if (!operation) return;
    const outcome = outcomeOf(status);
    this.requests.inc({ operation, outcome });
    if (operation === 'create') this.createSeconds.observe({ outcome }, seconds);
  }

  /** The hook and the route, on the provisioner API's Fastify instance. */
  attach(app: FastifyInstance, schema: Record<string, unknown>): void {
    app.addHook('onClose', async () => {
      this.stopObserving();
      this.stopObservingReady();
      this.stopObservingExpiry();
    });
    app.addHook('onResponse', async (req, reply) => {
      this.record(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { ...schema, hide: true } }, async (_req, reply) => {
      reply.type(this.registry.contentType);
      return this.registry.metrics();
    });
  }
}
