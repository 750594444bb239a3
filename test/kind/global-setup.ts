// The real-kind lane's setup: the test Docker engine (test/engine/engine.sh), the kind node
// image and the test sandbox image built into it (test/kind/build.sh, cached), and a folder of
// the only tools the product may run: our kind and docker CLIs, pointed at that engine.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import { cacheDir, readVersions } from '../cluster/control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kindLane: { dockerHost: string; nodeImage: string; sandboxImage: string; toolsDir: string; kubectl: string };
  }
}

/** Runs a build script with its progress lines on our stderr; its last stdout line is the answer. */
async function lastLine(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await execa('bash', args, { env, stderr: 'inherit' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line) throw new Error(`${args.join(' ')} printed nothing`);
  return line;
}

export default async function setup(project: TestProject) {
  const dockerHost = (await lastLine(['test/engine/engine.sh', 'up'])).replace(/^DOCKER_HOST=/, '');
  const nodeImage = await lastLine(['test/kind/build.sh', 'node-image'], { DOCKER_HOST: dockerHost });
  const sandboxImage = await lastLine(['test/kind/build.sh', 'sandbox-image'], { DOCKER_HOST: dockerHost });
  const versions = readVersions();
  const toolsDir = join(cacheDir(), 'kind-lane-tools');
  rmSync(toolsDir, { recursive: true, force: true });
  mkdirSync(toolsDir, { recursive: true });
  symlinkSync(join(cacheDir(), 'bin', `kind-${versions.KIND_VERSION}`, 'kind'), join(toolsDir, 'kind'));
  symlinkSync(join(cacheDir(), 'bin', `docker-cli-${versions.DOCKER_CLI_VERSION}`, 'docker'), join(toolsDir, 'docker'));
  const kubectl = join(cacheDir(), 'bin', `kubernetes-${versions.K8S_VERSION}`, 'kubectl');
  project.provide('kindLane', { dockerHost, nodeImage, sandboxImage, toolsDir, kubectl });
}
