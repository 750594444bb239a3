#!/usr/bin/env node
// sandbox-provisioner: the command line for the same core the desktop app runs.
import { Command, InvalidArgumentError } from 'commander';
import { clusterDetectCommand } from './cluster-command.js';
import { kubeconfigCommand } from './kubeconfig-command.js';
import { migrateCommand, UsageError } from './migrate-command.js';
import { serveCommand } from './serve-command.js';

function portArg(v: string): string {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return v;
}

const program = new Command('sandbox-provisioner')
  .description('Local DeerFlow sandboxes on your own Kubernetes cluster')
  .version('0.1.0')
  // Bad usage exits 2, as documented; commander's own errors do too.
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

program
  .command('serve')
  .description('serve the upstream-compatible provisioner API (/api/sandboxes)')
  .option('--host <host>', 'address to listen on (PROVISIONER_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (PROVISIONER_PORT, default 8002)', portArg)
  .action(serveCommand);

program
  .command('migrate')
  .description('move legacy DeerFlow data (threads/, memory.json, agents/, skills/custom/) into the per-user layout')
  .option('--base-dir <dir>', 'the DeerFlow base directory (hostPath setups, or a PVC mounted locally)')
  .option('--pvc <claim>', 'a PersistentVolumeClaim in the cluster (through a short-lived helper Pod)')
  .option('--namespace <ns>', 'namespace of the claim and of the sandboxes (default: K8S_NAMESPACE or deer-flow)')
  .option('--user-id <id>', 'user that receives data without an owner', 'default')
  .option('--dry-run', 'show the plan and change nothing')
  .option('--json', 'machine-readable output')
  .option('--yes', 'do not ask before moving')
  .option('--force', 'run even while sandbox Pods run or the cluster cannot be asked')
  .action(async (opts) => {
    try {
      process.exitCode = await migrateCommand(opts);
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`migrate: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
  });

program
  .command('kubeconfig')
  .description('export a kubeconfig for DeerFlow containers: loopback server rewritten, TLS still verified, credentials inlined')
  .option('--for-containers', 'rewrite for use inside containers')
  .option('--host <host>', 'host name containers use to reach this machine', 'host.docker.internal')
  .option('--context <name>', 'kubeconfig context (default: the current one)')
  .option('-o, --output <file>', 'write to this file (mode 600) instead of standard output')
  .option('--force', 'replace an existing output file')
  .action((opts) => {
    process.exitCode = kubeconfigCommand(opts);
  });

const cluster = program.command('cluster').description('local clusters');
cluster
  .command('detect')
  .description("list the kubeconfig's contexts: which tool made each, its API server, and whether it answers")
  .option('--json', 'machine-readable output')
  .action(async (opts) => {
    process.exitCode = await clusterDetectCommand(opts);
  });

await program.parseAsync(process.argv);
