// The Cluster screen's kind actions in Chromium, with the real kind CLI on the server's PATH
// and the stand-in docker (test/fixtures/tools): kind's own output streams into the job
// panel, its failure (no Docker engine) is shown, and Cancel stops it and cleans up.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { cacheDir, readVersions } from '../cluster/control-plane.js';
import { startServe } from '../support/serve-process.js';
import { screenshot } from './fixtures.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tools');

function toolsDir(): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'spd-e2e-tools-'));
  const realKind = join(cacheDir(), 'bin', `kind-${readVersions().KIND_VERSION}`, 'kind');
  writeFileSync(join(dir, 'kind'), `#!/bin/sh\nprintf '%s\\n' "kind $*" >> "${dir}/calls"\nexec "${realKind}" "$@"\n`);
  chmodSync(join(dir, 'kind'), 0o755);
  chmodSync(join(fixtures, 'docker'), 0o755);
  writeFileSync(join(dir, 'calls'), '');
  return { dir, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean) };
}

async function createFromUi(page: import('@playwright/test').Page, uiUrl: string, dataDir: string) {
  await page.goto(uiUrl);
  await page.getByRole('link', { name: 'Cluster' }).click();
  const form = page.getByRole('region', { name: 'Create a kind cluster for DeerFlow' });
  await form.getByLabel('DeerFlow data folder').fill(dataDir);
  await form.getByLabel('NodePort range').fill('30000-30002');
  await form.getByRole('button', { name: 'Create kind cluster' }).click();
  return page.getByTestId('job-kind-create');
}

test("creating a kind cluster streams kind's output and shows why it failed", async ({ page }, testInfo) => {
  const tools = toolsDir();
  const served = await startServe({ PATH: `${tools.dir}:${fixtures}:${process.env.PATH}`, STANDIN_CALLS: join(tools.dir, 'calls') });
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'spd-e2e-data-'));
    const job = await createFromUi(page, served.uiUrl, dataDir);
    await expect(job).toHaveAttribute('data-state', 'failed');
    await expect(job).toContainText('Preparing nodes');
    await expect(job).toContainText('stand-in docker: no Docker engine here');
    await screenshot(page, '11-cluster-kind-create-failed', testInfo, job);
    // kind got our config: the node it tried to start mounts the folder and publishes the ports.
    const run = tools.calls().find((c) => c.startsWith('docker run '));
    expect(run).toContain(`--volume=${dataDir}:${dataDir}`);
    expect(run).toMatch(/--publish=[\d.]+:30002:30002\/TCP/);
  } finally {
    await served.stop();
  }
});

test('Cancel stops kind and removes the half-made cluster', async ({ page }) => {
  const tools = toolsDir();
  const served = await startServe({
    PATH: `${tools.dir}:${fixtures}:${process.env.PATH}`,
    STANDIN_CALLS: join(tools.dir, 'calls'),
    STANDIN_RUN: 'sleep',
  });
  try {
    const job = await createFromUi(page, served.uiUrl, mkdtempSync(join(tmpdir(), 'spd-e2e-data-')));
    await expect(job).toContainText('Preparing nodes');
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect(job).toHaveAttribute('data-state', 'cancelled');
    await expect(job).toContainText('removing the partly created cluster');
    await expect
      .poll(() =>
        tools
          .calls()
          .filter((c) => c.startsWith('kind '))
          .at(-1),
      )
      .toBe('kind delete cluster --name deer-flow');
  } finally {
    await served.stop();
  }
});
