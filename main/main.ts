// Electron main process entry: thin. Everything is in desktop.ts (testable with a mocked
// Electron) and app/ (the core).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import { startDesktop } from './desktop.js';

const mainDir = dirname(fileURLToPath(import.meta.url));
// A separate profile (settings, window state) for tests and for trying things out.
if (process.env.SPD_USER_DATA) electron.app.setPath('userData', process.env.SPD_USER_DATA);
startDesktop(electron, { mainDir, rendererDir: join(mainDir, '..', 'renderer') }).catch((e: Error) => {
  electron.dialog.showErrorBox('Sandbox Provisioner could not start', e.stack ?? e.message);
  electron.app.exit(1);
});
