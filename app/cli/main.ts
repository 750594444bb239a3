#!/usr/bin/env node
// sandbox-provisioner: the command line for the same core the desktop app runs.
import { Command, InvalidArgumentError } from 'commander';
import {
  clusterCreateCommand,
  clusterDeleteCommand,
  clusterDetectCommand,
  imageStatusCommand,
  kindConfigCommand,
  loadImageCommand,
} from './cluster-command.js';
import { commandAction, EXIT } from './exit-codes.js';
import { kubeconfigCommand } from './kubeconfig-command.js';
import { migrateCommand } from './migrate-command.js';
import { serveCommand } from './serve-command.js';

function portArg(v: string): string {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return v;
}

const program = new Command('sandbox-provisioner')
  .description('Local DeerFlow sandboxes on your own Kubernetes cluster')
  .version('0.1.0')
  // Bad usage exits 2, as documented; commander's own errors do too.
  .exitOverride((e) => process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage));

program
  .command('serve')
  .description('serve the upstream-compatible provisioner API (/api/sandboxes) and the UI for a browser')
  .option('--host <host>', 'address to listen on (PROVISIONER_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (PROVISIONER_PORT, default 8002)', portArg)
  .option('--no-ui', 'do not serve the UI (by default it is served on 127.0.0.1 at a random port, printed as "UI: …")')
  .action(serveCommand);

program
  .command('migrate')
  .description('move legacy DeerFlow data (threads/, memory.json, agents/, skills/custom/) into the per-user layout')
  .addHelpText(
    'after',
    '\nExit status: 0 done or nothing to do (notes may be printed); 3 done, but data was left that needs you\n' +
      '(an owner in deer-flow.db that is not a valid user id; with --undo: items changed since the migration,\n' +
      'or whose old place is taken, left where they are); 1 refused or failed; 2 bad usage.\n' +
      'A dry run answers with the same codes for what a run would do.\n' +
      '\n--undo puts the last completed migration back from its journal (kept in .deer-flow-migration/);\n' +
      'what changed since is left where it is and named; a second --undo changes nothing.',
  )
  .option('--base-dir <dir>', 'the DeerFlow base directory (hostPath setups, or a PVC mounted locally)')
  .option('--pvc <claim>', 'a PersistentVolumeClaim in the cluster (through a short-lived helper Pod)')
  .option('--namespace <ns>', 'namespace of the claim and of the sandboxes (default: K8S_NAMESPACE or deer-flow)')
  .option('--user-id <id>', 'user that receives data without an owner', 'default')
  .option('--dry-run', 'show the plan and change nothing')
  .option('--json', 'machine-readable output')
  .option('--yes', 'do not ask before moving')
  .option('--force', 'run even while sandbox Pods run or the cluster cannot be asked')
  .option('--verify <mode>', 'how the result is checked: sizes, or content (checksums before and after; reads every file twice)', 'sizes')
  .option('--undo', 'put the last completed migration back (files, links, folders, conflict copies)')
  .option('--with-changes', 'with --undo: also put back items changed since the migration, changes included')
  .action(commandAction('migrate', migrateCommand));

program
  .command('kubeconfig')
  .description('export a kubeconfig for DeerFlow containers: loopback server rewritten, TLS still verified, credentials inlined')
  .option('--for-containers', 'rewrite for use inside containers')
  .option('--host <host>', 'host name containers use to reach this machine', 'host.docker.internal')
  .option('--context <name>', 'kubeconfig context (default: the current one)')
  .option('-o, --output <file>', 'write to this file (mode 600) instead of standard output')
  .option('--force', 'replace an existing output file')
  .action(commandAction('kubeconfig', kubeconfigCommand));

const cluster = program.command('cluster').description('local clusters');
cluster
  .command('detect')
  .description("list the kubeconfig's contexts: which tool made each, its API server, and whether it answers")
  .option('--json', 'machine-readable output')
  .action(commandAction('cluster detect', clusterDetectCommand));

/** Each cluster command: usage problems exit 2, a failing tool or cluster 1, with its message. */
const clusterAction = <A extends unknown[]>(name: string, fn: (...args: A) => Promise<number>) => commandAction(`cluster ${name}`, fn);

const planOptions = (c: Command) =>
  c
    .option('--data-dir <dir>', "DeerFlow's data folder (backend/.deer-flow), mounted at the same path in the node")
    .option('--skills-dir <dir>', "DeerFlow's skills folder when it is not inside --data-dir")
    .option('--name <name>', 'cluster name (kind) or profile (minikube)', 'deer-flow');

planOptions(
  cluster
    .command('kind-config')
    .description('print a kind cluster config for DeerFlow (mounts + published NodePorts); the provisioner settings go to stderr'),
)
  .option('--node-ports <from-to>', 'NodePorts to publish on the host', '30000-30049')
  .option('--listen-address <ip>', 'host address for published ports (default: 127.0.0.1; on Linux the docker bridge gateway)')
  .action(clusterAction('kind-config', kindConfigCommand));

planOptions(
  cluster.command('create').description('create a cluster for DeerFlow: kind (generated config) or minikube (with the data mount)'),
)
  .option('--kind', 'create a kind cluster')
  .option('--minikube', 'start a minikube profile')
  .option('--node-ports <from-to>', 'kind: NodePorts to publish on the host', '30000-30049')
  .option('--listen-address <ip>', 'kind: host address for published ports and the API server')
  .option('--image <ref>', 'kind: the node image (default: the one this kind version ships with)')
  .action(clusterAction('create', clusterCreateCommand));

cluster
  .command('delete')
  .description('delete a kind cluster or minikube profile (asks first)')
  .option('--kind', 'a kind cluster')
  .option('--minikube', 'a minikube profile')
  .option('--name <name>', 'which one')
  .option('--yes', 'do not ask')
  .action(clusterAction('delete', clusterDeleteCommand));

cluster
  .command('load-image [image]')
  .description('put the sandbox image (default: SANDBOX_IMAGE) into the cluster node: docker pull when missing, then kind/minikube load')
  .option('--kind <cluster>', 'into this kind cluster (default: from the current context)')
  .option('--minikube <profile>', 'into this minikube profile')
  .option('--force', 'load even when every node has it')
  .action(clusterAction('load-image', loadImageCommand));

cluster
  .command('image [image]')
  .description('whether the nodes of the current cluster have the sandbox image (exit 1 when none has)')
  .option('--json', 'machine-readable output')
  .action(clusterAction('image', imageStatusCommand));

await program.parseAsync(process.argv);
