// Launches the real desktop app where the Electron binary exists. On machines where it could
// not be downloaded (these test machines: ELECTRON_SKIP_BINARY_DOWNLOAD, no GitHub access)
// it reports itself skipped with that reason; the main process's logic is unit-tested with
// Electron mocked (test/unit/desktop.test.ts) and the UI runs in Chromium (app.spec.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from '@playwright/test';
import { readState } from '../cluster/control-plane.js';
import { expect, test } from './fixtures.js';

function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as string;
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();

test('the desktop app starts, shows the UI, and keeps Node out of the page', async () => {
  test.skip(
    !binary,
    'Electron binary not installed here (its download needs GitHub, unreachable on this machine); run `npm start` on a machine with internet',
  );
  execFileSync('npm', ['run', '-s', 'build:core'], { stdio: 'inherit' });
  const app = await electron.launch({
    executablePath: binary,
    args: ['.', '--no-sandbox'],
    env: {
      ...process.env,
      KUBECONFIG_PATH: readState()?.kubeconfig ?? '',
      SPD_USER_DATA: mkdtempSync(join(tmpdir(), 'spd-electron-')),
    },
  });
  try {
    const page = await app.firstWindow();
    await expect(page.getByRole('heading', { name: 'Sandboxes' })).toBeVisible();
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (window as unknown as { desk?: { token?: string } }).desk?.token)).toBe('string');
  } finally {
    await app.close();
  }
});
