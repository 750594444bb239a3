// The product's modules as they ship: compiled by tsc into dist/ (what bin/sandbox-provisioner
// and the in-cluster image run), not transformed on the fly by tsx, whose helpers cost our
// code a few per cent of CPU. Built here first, so a benchmark never measures stale output.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.stderr.write('[bench] compiling the core (tsc -p tsconfig.build.json)…\n');
await execa(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json')], { cwd: root, stdin: 'ignore' });

const load = <T>(path: string): Promise<T> => import(join(root, 'dist', path));
export const { loadConfig } = await load<typeof import('../app/config/config.js')>('app/config/config.js');
export const { AgentPool, makeApiClient } = await load<typeof import('../app/kube/api-client.js')>('app/kube/api-client.js');
export const { makeCoreApi } = await load<typeof import('../app/kube/core-api.js')>('app/kube/core-api.js');
export const { loadKubeConfig } = await load<typeof import('../app/kube/kubeconfig.js')>('app/kube/kubeconfig.js');
export const { buildPod, buildService } = await load<typeof import('../app/sandbox/specs.js')>('app/sandbox/specs.js');
export const { SandboxWatchCache } = await load<typeof import('../app/sandbox/watch-cache.js')>('app/sandbox/watch-cache.js');
export const { startProvisioner } = await load<typeof import('../app/server/standalone.js')>('app/server/standalone.js');
