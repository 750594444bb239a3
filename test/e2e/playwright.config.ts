// End-to-end: the renderer in Debian's Chromium against `sandbox-provisioner serve` backed by
// the real test control plane (kwok makes Pods Running and serves their logs).
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../support/chromium.js';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  // One worker: a test stops and restarts the shared API server.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  outputDir: '../../test-results/e2e-artifacts',
  reporter: [['list'], ['json', { outputFile: '../../test-results/e2e.json' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions(),
  },
});
