// The Cluster screen's create actions in Chromium, with the real kind CLI on the server's PATH
// and the stand-in docker (test/fixtures/tools): kind's own output streams into the job
// panel, its failure (no Docker engine) is shown, Cancel stops it and cleans up, kind's name
// rule shows on the field; and minikube (a stand-in) is started with the mount and its node IP
// applied as NODE_HOST.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { cacheDir, readState, readVersions } from '../cluster/control-plane.js';
import { hermeticPath } from '../support/hermetic-path.js';
import { startServe } from '../support/serve-process.js';
import { screenshot } from './fixtures.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tools');

/** Recording wrappers around the real kind (and, with `realDocker`, the real docker CLI). */
function toolsDir(realDocker = false): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'spd-e2e-tools-'));
  const versions = readVersions();
  const wrap = (name: string, binary: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "${dir}/calls"\nexec "${binary}" "$@"\n`);
    chmodSync(join(dir, name), 0o755);
  };
  wrap('kind', join(cacheDir(), 'bin', `kind-${versions.KIND_VERSION}`, 'kind'));
  if (realDocker) wrap('docker', join(cacheDir(), 'bin', `docker-cli-${versions.DOCKER_CLI_VERSION}`, 'docker'));
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
  const served = await startServe({ PATH: hermeticPath(tools.dir, fixtures), STANDIN_CALLS: join(tools.dir, 'calls') });
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'spd-e2e-data-'));
    const job = await createFromUi(page, served.uiUrl, dataDir);
    await expect(job).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
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

test('Docker installed but not running is said before creating, and the create stops there', async ({ page }, testInfo) => {
  const tools = toolsDir(true);
  const served = await startServe({ PATH: hermeticPath(tools.dir), DOCKER_HOST: 'unix:///var/run/docker.sock' });
  try {
    await page.goto(served.uiUrl);
    await page.getByRole('link', { name: 'Cluster' }).click();
    const engineDown = 'Docker is installed but its engine is not running (nothing answers at unix:///var/run/docker.sock).';
    await expect(page.getByTestId('docker-problem')).toContainText(engineDown);
    await expect(page.getByRole('region', { name: 'Local tools' })).toContainText(
      `docker: ${readVersions().DOCKER_CLI_VERSION?.slice(1)}, but:`,
    );
    // Create is disabled with the reason beside it: nothing can start while the engine is down.
    const form = page.getByRole('region', { name: 'Create a kind cluster for DeerFlow' });
    await form.getByLabel('DeerFlow data folder').fill(mkdtempSync(join(tmpdir(), 'spd-e2e-data-')));
    const create = form.getByRole('button', { name: 'Create kind cluster' });
    await expect(create).toBeDisabled();
    await expect(create).toHaveAttribute('aria-describedby', 'create-blocker');
    await expect(form.locator('#create-blocker')).toContainText(engineDown);
    await screenshot(page, '13-cluster-docker-not-running', testInfo, form);
    const kindCalls = tools.calls().filter((c) => c.startsWith('kind '));
    expect(kindCalls.filter((c) => c.startsWith('kind create'))).toEqual([]);
    // Every field's problem on its field, as typed, in words.
    await form.getByLabel('Cluster name').fill('Bad_Name');
    await form.getByLabel('DeerFlow data folder').fill('');
    await form.getByLabel('NodePort range').fill('40000-1');
    await expect(form.getByText('"Bad_Name" is not a valid kind cluster name')).toBeVisible();
    await expect(form.getByText("Choose DeerFlow's data folder (backend/.deer-flow): it is mounted into the node")).toBeVisible();
    await expect(form.getByText(/^"40000-1" is not valid: /)).toBeVisible();
    await expect(form).not.toContainText('must NOT have');
  } finally {
    await served.stop();
  }
});

test('Cancel stops kind and removes the half-made cluster', async ({ page }) => {
  const tools = toolsDir();
  const served = await startServe({
    PATH: hermeticPath(tools.dir, fixtures),
    STANDIN_CALLS: join(tools.dir, 'calls'),
    STANDIN_RUN: 'sleep',
  });
  try {
    const job = await createFromUi(page, served.uiUrl, mkdtempSync(join(tmpdir(), 'spd-e2e-data-')));
    await expect(job).toContainText('Preparing nodes');
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect(job).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
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

test('a name kind rejects is shown on its field, and nothing runs', async ({ page }) => {
  const tools = toolsDir();
  const served = await startServe({ PATH: hermeticPath(tools.dir, fixtures), STANDIN_CALLS: join(tools.dir, 'calls') });
  try {
    await page.goto(served.uiUrl);
    await page.getByRole('link', { name: 'Cluster' }).click();
    const form = page.getByRole('region', { name: 'Create a kind cluster for DeerFlow' });
    await form.getByLabel('Cluster name').fill('Deer_Flow');
    await form.getByLabel('DeerFlow data folder').fill(mkdtempSync(join(tmpdir(), 'spd-e2e-data-')));
    await form.getByRole('button', { name: 'Create kind cluster' }).click();
    await expect(form.getByRole('alert')).toContainText('"Deer_Flow" is not a valid kind cluster name');
    expect(tools.calls().filter((c) => c.startsWith('kind create'))).toEqual([]);
  } finally {
    await served.stop();
  }
});

test('starting minikube mounts the folder, uses the node IP as NODE_HOST, and switches to its context', async ({ page }) => {
  const tools = toolsDir();
  // A copy of the test kubeconfig, to which the stand-in minikube adds its context (as minikube does).
  const state = readState();
  const kubeconfig = join(tools.dir, 'kubeconfig');
  copyFileSync(state?.kubeconfig ?? '', kubeconfig);
  const kubectl = join(cacheDir(), 'bin', `kubernetes-${readVersions().K8S_VERSION}`, 'kubectl');
  writeFileSync(
    join(tools.dir, 'minikube'),
    [
      '#!/bin/sh',
      `printf '%s\\n' "minikube $*" >> "${tools.dir}/calls"`,
      'case "$1" in',
      `  start) echo "😄  [$3] minikube v1.37.0"; "${kubectl}" --kubeconfig "${kubeconfig}" config set-context "$3" --cluster=spd-test --user=spd-admin >/dev/null; echo "🏄  Done!" ;;`,
      '  ip) echo 192.168.49.2 ;;',
      'esac',
    ].join('\n'),
  );
  chmodSync(join(tools.dir, 'minikube'), 0o755);
  const served = await startServe({ PATH: hermeticPath(tools.dir), KUBECONFIG_PATH: kubeconfig });
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'spd-e2e-data-'));
    await page.goto(served.uiUrl);
    await page.getByRole('link', { name: 'Cluster' }).click();
    const form = page.getByRole('region', { name: 'Create a kind cluster for DeerFlow' });
    await form.getByLabel('minikube').check();
    await form.getByLabel('Profile').fill('df-mk');
    await form.getByLabel('DeerFlow data folder').fill(dataDir);
    await form.getByRole('button', { name: 'Start minikube' }).click();
    const job = page.getByTestId('job-minikube-start');
    await expect(job).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(job).toContainText('node IP 192.168.49.2');
    expect(tools.calls().filter((c) => /^minikube (start|ip)/.test(c))).toEqual([
      `minikube start -p df-mk --mount --mount-string=${dataDir}:${dataDir}`,
      'minikube ip -p df-mk',
    ]);
    await expect(page.getByTestId('current-context')).toHaveText('df-mk');
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByLabel('Node host (NODE_HOST)')).toHaveValue('192.168.49.2');
    await expect(page.getByLabel('Threads host path (THREADS_HOST_PATH)')).toHaveValue(join(dataDir, 'threads'));
  } finally {
    await served.stop();
  }
});
