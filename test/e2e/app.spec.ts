// The product as a developer uses it, in Chromium against `serve` and the real control plane:
// create → Running, logs read and followed, search, delete, a bad id, the cluster going away
// and coming back, and the migration wizard. Each screen is saved as a screenshot.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startComponent, stopComponent } from '../cluster/control-plane.js';
import { wireLogs } from '../cluster/kwok.js';
import { criLine } from '../support/cri.js';
import { makeLegacyTree } from '../support/legacy-tree.js';
import { startServe } from '../support/serve-process.js';
import { expect, screenshot, test } from './fixtures.js';

test.describe.configure({ mode: 'serial' });

test('create a sandbox through the dialog: it appears and becomes Running', async ({ page, served }, testInfo) => {
  await page.goto(served.uiUrl);
  // The token leaves the address bar once read.
  await expect(page).not.toHaveURL(/token=/);
  await screenshot(page, '01-sandboxes-empty', testInfo);
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
  await dialog.getByLabel('Sandbox id').fill('e2e-one');
  await dialog.getByLabel('Thread id').fill('thread_1');
  // Without SANDBOX_MAX_CPU / _MEMORY the limits are off, and the dialog says why.
  await expect(dialog.getByTestId('limits-off')).toContainText('accepts them only when SANDBOX_MAX_CPU / SANDBOX_MAX_MEMORY are set');
  await expect(dialog.getByLabel('CPU limit')).toBeDisabled();
  await screenshot(page, '02-create-dialog', testInfo);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId('sandbox-row-e2e-one');
  await expect(row).toBeVisible();
  await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'Running');
  await expect(row).toContainText('thread_1');
  await expect(row).toContainText('Yes'); // Ready
  const pod = await served.core.readNamespacedPod({ namespace: served.namespace, name: 'sandbox-e2e-one' });
  expect(pod.metadata?.annotations?.['deer-flow/thread-id']).toBe('thread_1');
  await screenshot(page, '03-sandboxes-running', testInfo);
});

test('an invalid id shows the field error as typed and creates nothing', async ({ page, served }) => {
  await page.goto(served.uiUrl);
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
  await dialog.getByLabel('Sandbox id').fill('Bad_ID');
  await expect(dialog.getByRole('alert')).toContainText('sandbox id');
  await expect(dialog.getByRole('button', { name: 'Create' })).toBeDisabled();
  await dialog.getByLabel('Sandbox id').press('Enter');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  const pods = await served.core.listNamespacedPod({ namespace: served.namespace });
  expect(pods.items.map((p) => p.metadata?.name)).toEqual(['sandbox-e2e-one']);
});

test('extra mounts are checked as the API checks them, and the sandbox page shows them', async ({ page, served }, testInfo) => {
  await page.goto(served.uiUrl);
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
  await dialog.getByLabel('Sandbox id').fill('e2e-mounts');
  await dialog.getByRole('button', { name: 'Add extra mount' }).click();
  const host = dialog.getByLabel('Extra mount 1 host folder');
  await host.fill('/etc');
  await expect(dialog.getByRole('alert')).toHaveText('Extra mount host path is outside DeerFlow state: /etc');
  await expect(dialog.getByRole('button', { name: 'Create' })).toBeDisabled();
  await host.fill('/.deer-flow/users/default/threads/e2e-mounts/acp-workspace');
  await dialog.getByLabel('Extra mount 1 path in the sandbox').selectOption('/mnt/acp-workspace');
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await screenshot(page, '02b-create-extra-mounts', testInfo);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  const pod = await served.core.readNamespacedPod({ namespace: served.namespace, name: 'sandbox-e2e-mounts' });
  expect(pod.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'extra-0')).toMatchObject({
    mountPath: '/mnt/acp-workspace',
    readOnly: true,
  });
  await page.getByTestId('sandbox-row-e2e-mounts').click();
  await expect(page.getByRole('region', { name: 'Mounts', exact: true })).toContainText('/mnt/acp-workspace');
  await expect(page.getByRole('region', { name: 'Mounts', exact: true })).toContainText('from the request');
  // Its Service goes with the Pod that owns it.
  await served.core.deleteNamespacedPod({ namespace: served.namespace, name: 'sandbox-e2e-mounts' });
});

test('logs show the lines kwok serves, follow new ones, and search filters them', async ({ page, served }, testInfo) => {
  const dir = mkdtempSync(join(tmpdir(), 'spd-e2e-logs-'));
  const file = join(dir, 'container.log');
  writeFileSync(file, ['booting sandbox', '\u001b[32mready\u001b[0m on :8080', 'GET /v1/sandbox 200'].map((l) => criLine(l)).join(''));
  await wireLogs(served.kc, served.namespace, 'sandbox-e2e-one', file);

  await page.goto(served.uiUrl);
  await page.getByTestId('sandbox-row-e2e-one').click();
  await expect(page.getByRole('heading', { name: 'e2e-one' })).toBeVisible();
  await page.getByRole('tab', { name: 'Logs' }).click();
  await expect(page).toHaveURL(/#\/sandboxes\/e2e-one\/logs$/);
  const view = page.getByTestId('log-view');
  await expect(view).toContainText('booting sandbox');
  await expect(view).toContainText('ready on :8080');
  // ANSI colour became a coloured span, not escape codes.
  await expect(view.locator('span', { hasText: 'ready' }).first()).toHaveAttribute('style', /color: rgb/);
  await expect(view).not.toContainText('[32m');

  appendFileSync(file, criLine('a line written while following'));
  await expect(view).toContainText('a line written while following');

  await page.getByLabel('Search logs').fill('GET');
  await expect(view.locator('mark')).toHaveText('GET');
  await page.getByLabel('Only matching lines').check();
  await expect(view).toContainText('GET /v1/sandbox 200');
  await expect(view).not.toContainText('booting sandbox');
  await expect(page.getByTestId('logs-status')).toContainText('1 matching');
  await screenshot(page, '04-sandbox-detail-logs', testInfo);
});

test('delete asks first, then removes the sandbox', async ({ page, served }) => {
  await page.goto(served.uiUrl);
  await page.getByLabel('Select e2e-one').check();
  await page.getByRole('button', { name: /^Delete \(1\)$/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete sandboxes' });
  await expect(confirm).toContainText('e2e-one');
  await confirm.getByRole('button', { name: 'Delete 1' }).click();
  await expect(page.getByTestId('sandbox-row-e2e-one')).toHaveCount(0);
  await expect
    .poll(
      async () =>
        (await served.core.listNamespacedPod({ namespace: served.namespace })).items.filter((p) => !p.metadata?.deletionTimestamp).length,
    )
    .toBe(0);
});

test('the cluster going away is shown, and the UI recovers when it is back', async ({ page, served }, testInfo) => {
  await page.goto(served.uiUrl);
  await page.getByRole('link', { name: 'Cluster' }).click();
  await expect(page.getByTestId('reachability')).toHaveAttribute('data-state', 'ready');
  await screenshot(page, '05-cluster', testInfo);
  await stopComponent('kube-apiserver');
  try {
    await expect(page.getByTestId('connection-banner')).toBeVisible({ timeout: 45_000 });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByTestId('reachability')).toHaveAttribute('data-state', 'unreachable');
    await screenshot(page, '06-cluster-unreachable', testInfo);
  } finally {
    await startComponent('kube-apiserver');
  }
  await expect(page.getByTestId('connection-banner')).toBeHidden({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByTestId('reachability')).toHaveAttribute('data-state', 'ready');
  // And it works again: a sandbox created now shows up live.
  await page.getByRole('link', { name: 'Sandboxes' }).click();
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
  await dialog.getByLabel('Sandbox id').fill('after-outage');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('sandbox-row-after-outage').locator('[data-status]')).toHaveAttribute('data-status', 'Running');
});

test('the migration wizard migrates a legacy folder and shows the report', async ({ page, served }, testInfo) => {
  // No sandbox may use the data while it moves.
  await served.core.deleteCollectionNamespacedPod({ namespace: served.namespace, gracePeriodSeconds: 0 });
  // A Pod still terminating counts as using the data: wait until they are gone.
  await expect
    .poll(async () => (await served.core.listNamespacedPod({ namespace: served.namespace })).items.length, { timeout: 30_000 })
    .toBe(0);
  const base = mkdtempSync(join(tmpdir(), 'spd-e2e-migrate-'));
  makeLegacyTree(base, { threads: 3, filesPerThread: 2, memory: true, agents: ['Writer'] });
  writeFileSync(join(base, 'threads', 'thread-0', 'user-data', 'outputs', 'note.txt'), 'kept');

  await page.goto(served.uiUrl);
  await page.getByRole('link', { name: 'Migration' }).click();
  await page.getByLabel('DeerFlow base folder').fill(base);
  await page.getByLabel('Target user').fill('alice');
  await page.getByRole('button', { name: 'Scan' }).click();
  const plan = page.getByTestId('migration-plan');
  await expect(plan).toContainText('3 thread(s)');
  await expect(plan).toContainText('threads/thread-0');
  await expect(plan).toContainText('users/alice/threads/thread-0');
  await expect(plan).toContainText('No sandbox Pods are running');
  await screenshot(page, '07-migration-plan', testInfo, plan);
  await plan.getByRole('button', { name: 'Migrate' }).click();
  await page.getByRole('dialog', { name: 'Migrate now?' }).getByRole('button', { name: 'Migrate' }).click();
  const report = page.getByTestId('migration-report');
  await expect(report).toContainText('all files verified');
  await expect(report).toContainText('5 moved'); // 3 threads, memory, 1 agent
  await screenshot(page, '08-migration-report', testInfo, report);
  expect(existsSync(join(base, 'users', 'alice', 'threads', 'thread-0', 'user-data', 'outputs', 'note.txt'))).toBe(true);
  expect(existsSync(join(base, 'threads'))).toBe(false);
  const reports = readdirSync(join(base, '.deer-flow-migration')).filter((f) => f.startsWith('report-'));
  expect(reports).toHaveLength(1);
  await expect(report).toContainText(reports[0] ?? 'missing');

  // Undo, with one thread changed since: it stays where the migration put it, named; then
  // "Put the changed items back too" takes it back with its change.
  writeFileSync(join(base, 'users', 'alice', 'threads', 'thread-1', 'after.txt'), 'written after the migration');
  await report.getByRole('button', { name: 'Undo this migration' }).click();
  await page.getByRole('dialog', { name: 'Undo the migration?' }).getByRole('button', { name: 'Undo' }).click();
  const undo = page.getByTestId('undo-report');
  await expect(undo).toContainText('1 item(s) left where the migration put them');
  await expect(undo).toContainText('users/alice/threads/thread-1/after.txt (new)');
  // The plan scanned before the migration is no longer so: it goes (Scan shows what is there now).
  await expect(page.getByTestId('migration-plan')).toHaveCount(0);
  await screenshot(page, '08b-undo-report', testInfo, undo);
  expect(existsSync(join(base, 'threads', 'thread-0', 'user-data', 'outputs', 'note.txt'))).toBe(true);
  expect(existsSync(join(base, 'users', 'alice', 'threads', 'thread-1', 'after.txt'))).toBe(true);
  await undo.getByRole('button', { name: 'Put the changed items back too' }).click();
  await page.getByRole('dialog', { name: 'Undo the migration?' }).getByRole('button', { name: 'Undo' }).click();
  await expect(undo).toContainText('everything is back');
  expect(existsSync(join(base, 'threads', 'thread-1', 'after.txt'))).toBe(true);
  expect(existsSync(join(base, 'users'))).toBe(false);
});

test('settings are validated like the server does, and the theme switches', async ({ page, served }, testInfo) => {
  await page.goto(served.uiUrl);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByTestId('provisioner-api-state')).toContainText('Running at http://127.0.0.1:');
  // Every field says the value in use and where it comes from (not a blank).
  await expect(page.getByText('NodePort or ClusterIP · in use: NodePort (the default)')).toBeVisible();
  await expect(page.getByLabel('Namespace (K8S_NAMESPACE)')).toHaveValue(served.namespace);
  await expect(
    page.getByText(`where sandboxes are made · in use: ${served.namespace} (from the environment the app started with)`),
  ).toBeVisible();
  await page.getByLabel('Service type (SANDBOX_SERVICE_TYPE)').fill('LoadBalancer');
  await page.getByRole('button', { name: 'Save and apply' }).click();
  await expect(page.getByText('SANDBOX_SERVICE_TYPE="LoadBalancer" is not valid: expected NodePort or ClusterIP')).toBeVisible();
  await screenshot(page, '09-settings-error', testInfo);
  await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(['dark', 'light']).toContain(theme);
  await page.getByRole('link', { name: 'Sandboxes' }).click();
  await screenshot(page, `10-sandboxes-${theme}`, testInfo);
});

test('with SANDBOX_IDLE_SECONDS the sandbox page shows when it expires, and Keep records a use', async ({ page }, testInfo) => {
  const served = await startServe({ SANDBOX_IDLE_SECONDS: '7200' });
  try {
    await page.goto(served.uiUrl);
    await page.getByRole('button', { name: 'Create sandbox' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
    await dialog.getByLabel('Sandbox id').fill('e2e-idle');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('sandbox-row-e2e-idle').locator('td.col-sandbox_id').click();
    const expiry = page.getByTestId('expiry');
    await expect(expiry).toContainText(/in (1h|2h)/);
    await expect(expiry).toContainText('when unused for SANDBOX_IDLE_SECONDS');
    await expect(page.getByTestId('egress')).toContainText('open: sandboxes may connect anywhere');
    await screenshot(page, '11-expiry', testInfo, expiry);
    const annotation = async () =>
      (await served.core.readNamespacedPod({ namespace: served.namespace, name: 'sandbox-e2e-idle' })).metadata?.annotations?.[
        'deer-flow/last-used-at'
      ];
    const before = await annotation();
    await expiry.getByRole('button', { name: 'Keep' }).click();
    await expect.poll(annotation).not.toBe(before);
    expect(Date.now() - Date.parse((await annotation()) ?? '')).toBeLessThan(60_000);
  } finally {
    await served.stop();
  }
});

test('with SANDBOX_MAX_CPU / _MEMORY the Create dialog takes limits, checked as the API checks them', async ({ page }, testInfo) => {
  const served = await startServe({ SANDBOX_MAX_CPU: '2', SANDBOX_MAX_MEMORY: '4Gi' });
  try {
    await page.goto(served.uiUrl);
    await page.getByRole('button', { name: 'Create sandbox' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
    await dialog.getByLabel('Sandbox id').fill('e2e-limits');
    await dialog.getByLabel('CPU limit').fill('3');
    await expect(dialog.getByText('cpu limit "3" is above the allowed maximum 2 (SANDBOX_MAX_CPU)')).toBeVisible();
    await dialog.getByLabel('CPU limit').fill('1500m');
    await dialog.getByLabel('Memory limit').fill('2Gi');
    await screenshot(page, '12-create-limits', testInfo, dialog);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect(dialog).toBeHidden();
    const pod = await served.core.readNamespacedPod({ namespace: served.namespace, name: 'sandbox-e2e-limits' });
    expect(pod.spec?.containers[0]?.resources?.limits).toMatchObject({ cpu: '1500m', memory: '2Gi' });
  } finally {
    await served.stop();
  }
});
