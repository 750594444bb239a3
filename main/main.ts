// Electron main process: thin. It opens a window on the renderer and applies Electron's
// security checklist; everything the product decides lives in app/.
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, shell } from 'electron';
import { isAllowedNavigation, isExternalWebLink, secureWebPreferences } from './window-options.js';

const distMain = dirname(fileURLToPath(import.meta.url));
const rendererIndex = pathToFileURL(`${distMain}/../renderer/index.html`).href;

if (!app.requestSingleInstanceLock()) app.quit();

async function openWindow(): Promise<void> {
  const win = new BrowserWindow({ width: 1280, height: 800, show: false, webPreferences: secureWebPreferences(distMain) });
  const origin = new URL(rendererIndex).origin;
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, origin)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.once('ready-to-show', () => win.show());
  await win.loadURL(rendererIndex);
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});
app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
app.on('window-all-closed', () => app.quit());
void app.whenReady().then(openWindow);
