#!/usr/bin/env node
// sandbox-provisioner: the command line for the same core the desktop app runs.
import { Command } from 'commander';

const program = new Command('sandbox-provisioner').description('Local DeerFlow sandboxes on your own Kubernetes cluster').version('0.1.0');

await program.parseAsync(process.argv);
