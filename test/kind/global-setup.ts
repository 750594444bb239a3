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
    kindLane: {
      dockerHost: string;
      nodeImage: string;
      sandboxImage: string;
      /** The in-cluster provisioner image (deploy/image/build.sh). */
      provisionerImage: string;
      toolsDir: string;
      kubectl: string;
      helm: string;
    };
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
  const dockerCli = join(cacheDir(), 'bin', `docker-cli-${versions.DOCKER_CLI_VERSION}`, 'docker');
  // The product's own image script, with our docker CLI and the engine's socket (and the
  // machine's PATH otherwise: it runs npm, debootstrap and tar like a developer would).
  const provisionerImage = await lastLine(['deploy/image/build.sh'], {
    ...process.env,
    DOCKER_HOST: dockerHost,
    DOCKER: dockerCli,
  } as Record<string, string>);
  const toolsDir = join(cacheDir(), 'kind-lane-tools');
  rmSync(toolsDir, { recursive: true, force: true });
  mkdirSync(toolsDir, { recursive: true });
  symlinkSync(join(cacheDir(), 'bin', `kind-${versions.KIND_VERSION}`, 'kind'), join(toolsDir, 'kind'));
  symlinkSync(dockerCli, join(toolsDir, 'docker'));
  const kubectl = join(cacheDir(), 'bin', `kubernetes-${versions.K8S_VERSION}`, 'kubectl');
  const helm = join(cacheDir(), 'bin', `helm-${versions.HELM_VERSION}`, 'helm');
  project.provide('kindLane', { dockerHost, nodeImage, sandboxImage, provisionerImage, toolsDir, kubectl, helm });
}
