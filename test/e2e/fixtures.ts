// A `serve` process per test file (its own namespace and settings file), the address of its
// UI, and an admin client of the test cluster for checking what really happened.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { test as base, type Locator, type Page } from '@playwright/test';
import { readState } from '../cluster/control-plane.js';

export interface Served {
  uiUrl: string;
  namespace: string;
  kubeconfig: string;
  core: CoreV1Api;
  kc: KubeConfig;
  /** Everything serve wrote to stderr so far (its log). */
  log: () => string;
}

export async function startServe(env: Record<string, string> = {}): Promise<Served & { stop: () => Promise<void> }> {
  const state = readState();
  if (!state) throw new Error('the test control plane is not running');
  const namespace = `e2e-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'spd-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app/cli/main.ts', 'serve', '--port', '0'], {
    env: {
      ...process.env,
      KUBECONFIG_PATH: state.kubeconfig,
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
  kc.loadFromFile(state.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    uiUrl,
    namespace,
    kubeconfig: state.kubeconfig,
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

/**
 * Saves a screenshot of the current screen under the test's output folder (looked at by
 * people), scrolled to `focus` when given (screens scroll inside the window, not the page).
 */
export async function screenshot(
  page: Page,
  name: string,
  testInfo: { outputPath: (n: string) => string },
  focus?: Locator,
): Promise<void> {
  await focus?.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
}

export const test = base.extend<object, { served: Served }>({
  served: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => {
      const s = await startServe();
      await use(s);
      await s.stop();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
