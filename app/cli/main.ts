#!/usr/bin/env node
// sandbox-provisioner: the command line for the same core the desktop app runs.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { KubeconfigError } from '../kube/kubeconfig.js';
import { StartupError, startProvisioner } from '../server/serve.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

function portArg(v: string): string {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return v;
}

const program = new Command('sandbox-provisioner').description('Local DeerFlow sandboxes on your own Kubernetes cluster').version('0.1.0');

program
  .command('serve')
  .description('serve the upstream-compatible provisioner API (/api/sandboxes)')
  .option('--host <host>', 'address to listen on (PROVISIONER_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (PROVISIONER_PORT, default 8002)', portArg)
  .action(async (opts: { host?: string; port?: string }) => {
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
  });

await program.parseAsync(process.argv);
