// The sandbox page as a user meets it (#13), in Chromium against `serve` and the control plane:
// it never shows stale or wrong data (a new id, an unknown id, a sandbox deleted elsewhere), its
// tabs (the terminal through kwok's exec with a TTY, the files of the sandbox's host folder,
// events that fit the window at 1024 px), and the list (cut values whole on hover, resizable
// columns, row actions, an empty state that says where it looks), in both themes.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { wireExec, wirePortForward } from '../cluster/kwok.js';
import { startServe } from '../support/serve-process.js';
import { expect, screenshot, test } from './fixtures.js';

test.describe.configure({ mode: 'serial' });

const threads = mkdtempSync(join(tmpdir(), 'spd-e2e-threads-'));
let served: Awaited<ReturnType<typeof startServe>>;

test.beforeAll(async () => {
  // Host-folder mode for files: the sandboxes' user-data lies in a folder of this machine.
  served = await startServe({ THREADS_HOST_PATH: threads, DEER_FLOW_HOST_BASE_DIR: threads });
});
test.afterAll(async () => {
  await served?.stop();
});

async function create(page: Page, id: string, thread = id) {
  await page.getByRole('link', { name: 'Sandboxes', exact: true }).click();
  await page.getByRole('button', { name: 'Create sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create sandbox' });
  await dialog.getByLabel('Sandbox id').fill(id);
  await dialog.getByLabel('Thread id').fill(thread);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId(`sandbox-row-${id}`).locator('[data-status]')).toHaveAttribute('data-status', 'Running');
}

test('the list: an empty state that says where it looks, then cut values whole on hover, resizable columns, row actions', async ({
  page,
}, testInfo) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(served.uiUrl);
  const empty = page.getByTestId('sandboxes-empty');
  await expect(empty).toContainText(`No sandboxes in namespace ${served.namespace} yet.`);
  await expect(empty.getByRole('button', { name: 'Create a sandbox' })).toBeVisible();
  const long = 'page-a-sandbox-with-a-rather-long-id-0123456789';
  await create(page, long, 'thread-with-a-long-name-0123456789');
  const idCell = page.getByTestId(`sandbox-row-${long}`).locator('td.col-sandbox_id span');
  await expect(idCell).toHaveAttribute('title', long);
  // Cut with an ellipsis (not clipped mid-letter): the text is wider than its cell.
  expect(await idCell.evaluate((el) => [getComputedStyle(el).textOverflow, el.scrollWidth > el.clientWidth])).toEqual(['ellipsis', true]);
  const url = page.getByTestId(`sandbox-row-${long}`).locator('td.col-url span.ellipsis');
  await expect(url).toHaveAttribute('title', /^host\.docker\.internal:\d+$/);
  // Widen the id column from the keyboard: the whole id shows.
  const sep = page.getByRole('separator', { name: 'Resize the Sandbox column' });
  const before = Number(await sep.getAttribute('aria-valuenow'));
  await sep.focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
  expect(Number(await sep.getAttribute('aria-valuenow'))).toBe(before + 20 * 16);
  await expect.poll(() => idCell.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(false);
  // Wider than the window now: the table scrolls sideways; the actions stay reachable.
  await page.getByRole('button', { name: `Terminal of ${long}` }).scrollIntoViewIfNeeded();
  await screenshot(page, '20-list-1024', testInfo);
  await page.getByRole('button', { name: `Terminal of ${long}` }).click();
  await expect(page).toHaveURL(new RegExp(`#/sandboxes/${long}/terminal$`));
  await page
    .getByRole('button', { name: 'Sandboxes' })
    .or(page.getByRole('link', { name: 'Sandboxes' }))
    .first()
    .click();
  await page.getByRole('button', { name: `Delete ${long}` }).click();
  await page.getByRole('dialog', { name: 'Delete sandbox' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId(`sandbox-row-${long}`)).toHaveCount(0);
  // The info notice leaves by itself.
  await expect(page.getByText(`Deleted ${long}`)).toBeVisible();
  await expect(page.getByText(`Deleted ${long}`)).toHaveCount(0, { timeout: 10_000 });
});

test('an unknown id after another sandbox: "not found", nothing of the other one', async ({ page }, testInfo) => {
  await page.goto(served.uiUrl);
  await create(page, 'page-one', 'thread-of-one');
  await page.getByTestId('sandbox-row-page-one').locator('td.col-sandbox_id').click();
  await expect(page.getByRole('region', { name: 'Summary' })).toContainText('thread-of-one');
  await page.evaluate(() => {
    window.location.hash = '#/sandboxes/page-nope';
  });
  await expect(page.getByTestId('not-found')).toContainText('No sandbox “page-nope”');
  await expect(page.locator('main')).not.toContainText('thread-of-one');
  await expect(page.locator('main [data-status]')).toHaveCount(0);
  await screenshot(page, '21-not-found', testInfo);
});

test('the terminal: a shell that answers, kept when the tab is left and when the page reloads', async ({ page }, testInfo) => {
  const work = mkdtempSync(join(tmpdir(), 'spd-e2e-term-'));
  await wireExec(served.kc, served.namespace, 'sandbox-page-one', work);
  await page.goto(`${served.uiUrl}#/sandboxes/page-one/terminal`);
  const terminal = page.getByTestId('terminal');
  await expect(terminal.locator('.xterm-rows')).toBeVisible();
  await terminal.click();
  await page.keyboard.type('echo "answer-$((40+2))"');
  await page.keyboard.press('Enter');
  // The output is text in the page (xterm's DOM rows), not only pixels.
  await expect(terminal.locator('.xterm-rows')).toContainText('answer-42');
  await screenshot(page, '22-terminal', testInfo);
  await page.getByRole('tab', { name: 'Overview' }).click();
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText('answer-42');
  await page.reload();
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText('answer-42');
  // A second one beside it.
  await page.getByRole('button', { name: 'New terminal' }).click();
  await expect(page.getByRole('tab', { name: 'Terminal 2' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).not.toContainText('answer-42');
  await page.getByRole('tab', { name: 'Terminal 1' }).click();
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText('answer-42');
  // exit ends the shell; Reconnect opens a new one under the old screen.
  await page.getByTestId('terminal').click();
  await page.keyboard.type('exit');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('terminal-ended')).toContainText('the shell exited');
  await page.getByTestId('terminal-ended').getByRole('button', { name: 'Reconnect' }).click();
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText('[new shell,');
  await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText('answer-42');
});

test('Open: the sandbox in a new tab, through an address on this machine', async ({ page }, testInfo) => {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<title>sandbox</title><p>the sandbox answered ${req.url}</p>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await wirePortForward(served.kc, served.namespace, 'sandbox-page-one', 8080, (server.address() as { port: number }).port);
    await page.goto(`${served.uiUrl}#/sandboxes/page-one`);
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const tab = await popup;
    await expect(tab.locator('p')).toHaveText('the sandbox answered /');
    expect(tab.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(page.getByTestId('opened-at')).toContainText(new URL(tab.url()).origin);
    await screenshot(page, '22b-opened', testInfo);
    await tab.close();
  } finally {
    server.close();
  }
});

test('files: the sandbox folder listed, a text and an image previewed, an upload lands in uploads/', async ({ page }, testInfo) => {
  const root = join(threads, 'thread-of-one', 'user-data');
  mkdirSync(join(root, 'outputs'), { recursive: true });
  writeFileSync(join(root, 'outputs', 'report.md'), '# Findings\n\nthe agent wrote this\n');
  // A 1×1 PNG.
  writeFileSync(
    join(root, 'outputs', 'dot.png'),
    Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64'),
  );
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${served.uiUrl}#/sandboxes/page-one/files`);
  await expect(page.getByTestId('files-via')).toHaveText('read on this machine (the host folder)');
  // A tree: the folder opens in place, its files under it.
  const outputs = page.getByTestId('file-outputs').getByRole('button', { name: 'outputs', exact: true });
  await outputs.click();
  await expect(outputs).toHaveAttribute('aria-expanded', 'true');
  await page.getByTestId('file-outputs/report.md').getByRole('button', { name: 'report.md', exact: true }).click();
  await expect(page.getByTestId('file-preview')).toContainText('the agent wrote this');
  await page.getByTestId('file-outputs/dot.png').getByRole('button', { name: 'dot.png', exact: true }).click();
  await expect(page.getByTestId('file-preview').locator('img')).toHaveJSProperty('naturalWidth', 1);
  expect(problems).toEqual([]);
  // Live: a file the agent writes now shows up by itself.
  writeFileSync(join(root, 'outputs', 'late.txt'), 'later');
  await expect(page.getByTestId('file-outputs/late.txt')).toBeVisible({ timeout: 10_000 });
  await screenshot(page, '23-files', testInfo);
  const upload = join(mkdtempSync(join(tmpdir(), 'spd-e2e-up-')), 'brief.txt');
  writeFileSync(upload, 'do the thing');
  await page.getByLabel('Upload files to uploads/').setInputFiles(upload);
  await expect(page.getByText('Uploaded uploads/brief.txt')).toBeVisible();
  await expect(page.getByTestId('file-uploads/brief.txt')).toBeVisible();
  expect(readFileSync(join(root, 'uploads', 'brief.txt'), 'utf8')).toBe('do the thing');
  // The same name again is refused, the first kept.
  const again = join(mkdtempSync(join(tmpdir(), 'spd-e2e-up-')), 'brief.txt');
  writeFileSync(again, 'something else');
  await page.getByLabel('Upload files to uploads/').setInputFiles(again);
  await expect(page.getByText('Uploading brief.txt failed')).toBeVisible();
  expect(readFileSync(join(root, 'uploads', 'brief.txt'), 'utf8')).toBe('do the thing');
});

test('overview and events fit at 1024 px in both themes; the start-up story and why there is no resource use', async ({
  page,
}, testInfo) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(`${served.uiUrl}#/sandboxes/page-one`);
  const startup = page.getByTestId('startup');
  await expect(startup).toContainText('Created');
  await expect(startup).toContainText('Ready');
  await expect(page.getByTestId('usage-unavailable')).toContainText('serves no resource summary');
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    await screenshot(page, `24-overview-1024-${theme}`, testInfo);
  }
  await page.getByRole('tab', { name: 'Events' }).click();
  const events = page.getByRole('region', { name: 'Events' });
  await expect(events).toContainText('Scheduled');
  // Nothing wider than the window: the screen scrolls inside main, so main is what would overflow.
  expect(await page.locator('main').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  expect(await events.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
  await screenshot(page, '25-events-1024', testInfo);
});

test('a sandbox deleted elsewhere: the page says so with the time and stops following', async ({ page }, testInfo) => {
  await page.goto(`${served.uiUrl}#/sandboxes/page-one/logs`);
  await expect(page.getByTestId('logs-status')).toHaveAttribute('data-state', 'streaming');
  // Deleted by someone else (DeerFlow, the API): straight through the cluster.
  // Only the Pod: the Service it owns goes with it (Kubernetes' garbage collector).
  await served.core.deleteNamespacedPod({ namespace: served.namespace, name: 'sandbox-page-one', gracePeriodSeconds: 0 });
  await expect(page.getByTestId('deleted-banner')).toContainText(/This sandbox was deleted at \d/);
  await expect(page.locator('main .pill-deleted')).toHaveText('Deleted');
  await expect(page.locator('main [data-status="Running"]')).toHaveCount(0);
  await expect(page.getByTestId('logs-status')).toContainText('the sandbox was deleted');
  await expect(page.getByRole('button', { name: 'Delete', exact: true })).toBeDisabled();
  await screenshot(page, '26-deleted-elsewhere', testInfo);
});

test('PVC migration: the claims to choose from, a scan that shows its progress and can be cancelled', async ({ page }, testInfo) => {
  await served.core.createNamespacedPersistentVolumeClaim({
    namespace: served.namespace,
    body: {
      metadata: { name: 'waiting-claim' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'none-here' },
    },
  });
  await page.goto(`${served.uiUrl}#/migration`);
  await page.getByLabel('PVC in the current cluster').check();
  await expect(page.getByTestId('claims')).toHaveText('Claims here: waiting-claim (Pending)');
  await page.getByLabel('Claim name').fill('waiting-claim');
  await page.getByRole('button', { name: 'Scan' }).click();
  const progress = page.getByTestId('scan-progress');
  await expect(progress).toContainText('starting a helper Pod with the claim');
  await expect(progress).toContainText(/[1-9] s/);
  await screenshot(page, '27-pvc-scan-progress', testInfo);
  await progress.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Scan cancelled: nothing was changed')).toBeVisible();
  await expect
    .poll(
      async () =>
        (
          await served.core.listNamespacedPod({
            namespace: served.namespace,
            labelSelector: 'app.kubernetes.io/component=migration-helper',
          })
        ).items.filter((p) => !p.metadata?.deletionTimestamp).length,
    )
    .toBe(0);
});
