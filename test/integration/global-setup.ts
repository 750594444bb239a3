// Starts the test control plane for the integration project (once per run) unless one runs
// already, and hands its coordinates to the tests. A cluster this setup started is stopped
// at the end; one that was already running is left alone.
import type { TestProject } from 'vitest/node';
import { down, isHealthy, readState, up } from '../cluster/control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: { kubeconfig: string; server: string; podLogFile: string; execDir: string; caCert: string };
  }
}

export default async function setup(project: TestProject) {
  const running = readState();
  const reuse = running !== undefined && (await isHealthy(running));
  const state = reuse ? running : await up();
  project.provide('cluster', {
    kubeconfig: state.kubeconfig,
    server: state.server,
    podLogFile: state.podLogFile,
    execDir: state.execDir,
    caCert: state.pki.caCert,
  });
  return async () => {
    if (!reuse && process.env.SPD_KEEP_CLUSTER !== '1') await down();
  };
}
