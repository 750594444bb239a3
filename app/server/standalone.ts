// The headless provisioner as one piece: a cluster connection from the composition root and
// the upstream-compatible API listening on it (tests and the benchmark start it; `serve` goes
// through the desk core, which listens the same way).
import type { FastifyInstance } from 'fastify';
import type { ProvisionerConfig } from '../config/config.js';
import { connectCluster } from '../core/connection.js';
import type { SandboxProvisioner } from '../sandbox/provisioner.js';
import type { SandboxWatchCache } from '../sandbox/watch-cache.js';
import { checkListenSafety, listenProvisionerApi } from './serve.js';

export interface RunningProvisioner {
  app: FastifyInstance;
  provisioner: SandboxProvisioner;
  cache: SandboxWatchCache;
  url: string;
  close: () => Promise<void>;
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
