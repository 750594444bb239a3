// `sandbox-provisioner serve` as a child process against the test control plane, in a fresh
// namespace with its own settings file: its UI address, its provisioner API address, and an
// admin client of the cluster for checking what really happened (e2e tests and the UI bench).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readState } from '../cluster/control-plane.js';

export interface Served {
  uiUrl: string;
  /** The provisioner API (upstream-compatible), e.g. http://127.0.0.1:41234. */
  apiUrl: string;
  namespace: string;
  kubeconfig: string;
  core: CoreV1Api;
  kc: KubeConfig;
  /** Everything serve wrote to stderr so far (its log). */
  log: () => string;
}

export async function startServe(env: Record<string, string> = {}): Promise<Served & { stop: () => Promise<void> }> {
  // The test control plane unless the caller names another cluster (the real-kind lane does).
  const kubeconfig = env.KUBECONFIG_PATH ?? readState()?.kubeconfig;
  if (!kubeconfig) throw new Error('the test control plane is not running');
  const namespace = env.K8S_NAMESPACE ?? `e2e-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'spd-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app/cli/main.ts', 'serve', '--port', '0'], {
    env: {
      ...process.env,
      KUBECONFIG_PATH: kubeconfig,
      K8S_NAMESPACE: namespace,
      SPD_SETTINGS_FILE: join(dir, 'settings.json'),
      SANDBOX_ORPHAN_GRACE_SECONDS: '600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const uiUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no UI line in 30 s; log:\n${stderr}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^UI: (\S+)$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}); log:\n${stderr}`)));
  });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apiUrl = /provisioner API listening on (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
  return {
    uiUrl,
    apiUrl,
    namespace,
    kubeconfig,
    kc,
    core,
    log: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}
