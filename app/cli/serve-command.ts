// sandbox-provisioner serve: the headless provisioner API.
import { ConfigError, loadConfig } from '../config/config.js';
import { KubeconfigError } from '../kube/kubeconfig.js';
import { StartupError, startProvisioner } from '../server/serve.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

export async function serveCommand(opts: { host?: string; port?: string }): Promise<void> {
  const env = { ...process.env };
  if (opts.host) env.PROVISIONER_HOST = opts.host;
  if (opts.port) env.PROVISIONER_PORT = opts.port;
  try {
    const config = loadConfig(env);
    const running = await startProvisioner(config, log);
    log(`provisioner API listening on ${running.url} (namespace ${config.namespace}${config.apiKey ? ', API key required' : ''})`);
    const stop = async () => {
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof KubeconfigError || e instanceof StartupError) {
      process.stderr.write(`sandbox-provisioner: ${e.message}\n`);
      process.exit(1);
    }
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`sandbox-provisioner: the port is already in use (${(e as Error).message}); choose another with --port\n`);
      process.exit(1);
    }
    throw e;
  }
}
