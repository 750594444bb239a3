// The provisioner API's listener: the listen-address rule and the server bound to a
// provisioner. HTTP only; the connection it serves comes from the composition root (app/core).
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost, type ProvisionerConfig } from '../config/config.js';
import { StartupError } from '../core/connection.js';
import type { SandboxProvisioner } from '../sandbox/provisioner.js';
import { buildProvisionerApi } from './provisioner-api.js';

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
