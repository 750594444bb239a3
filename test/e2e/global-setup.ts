// Builds the renderer (serve hands out dist/renderer) and makes sure the test control plane
// runs; a control plane started here is stopped at the end.
import { execFileSync } from 'node:child_process';
import { down, isHealthy, readState, up } from '../cluster/control-plane.js';

export default async function globalSetup() {
  execFileSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const running = readState();
  const reuse = running !== undefined && (await isHealthy(running));
  if (!reuse) await up();
  return async () => {
    if (!reuse && process.env.SPD_KEEP_CLUSTER !== '1') await down();
  };
}
