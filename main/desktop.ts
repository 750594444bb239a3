// The desktop app's wiring, with Electron passed in (so tests can hand it a mock): one
// instance, the core and its desk API on 127.0.0.1, one window on the desk page with
// Electron's security checklist applied, IPC answered only for that page, window state kept.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Electron from 'electron';
import { loginShellPath, mergePath } from '../app/cluster/login-path.js';
import { DeskCore } from '../app/core/desk-core.js';
import { type DeskConnection, IPC_CHANNELS } from '../app/desk/bridge.js';
import { type RunningDeskServer, startDeskServer } from '../app/server/desk-api.js';
import { listenProvisionerApi } from '../app/server/serve.js';
import {
  isAllowedNavigation,
  isAllowedPermission,
  isTrustedSender,
  openSandboxLink,
  restoreWindowState,
  secureWebPreferences,
  type WindowState,
} from './window-options.js';

export type ElectronApi = Pick<typeof Electron, 'app' | 'BrowserWindow' | 'shell' | 'ipcMain' | 'dialog' | 'screen' | 'session'>;

export interface DesktopOptions {
  /** dist/main: where preload.cjs is. */
  mainDir: string;
  /** dist/renderer: the built UI. */
  rendererDir: string;
  log?: (line: string) => void;
  /** The login shell's PATH (tests hand in their own: no test starts the machine's shell). */
  loginPath?: (env: NodeJS.ProcessEnv) => Promise<string | undefined>;
}

export async function startDesktop(electron: ElectronApi, opts: DesktopOptions): Promise<{ quit: () => Promise<void> } | undefined> {
  const { app, BrowserWindow, shell, ipcMain, dialog, screen, session } = electron;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  await app.whenReady();
  // Launched from the Dock or a desktop launcher, the app has a minimal PATH: take the login
  // shell's too, so kind, minikube and docker are found where the user's terminal finds them.
  const shellPath = await (opts.loginPath ?? loginShellPath)(process.env).catch(() => undefined);
  if (shellPath) process.env.PATH = mergePath(process.env.PATH, shellPath);

  const userData = app.getPath('userData');
  mkdirSync(userData, { recursive: true });
  const core = new DeskCore({ settingsFile: join(userData, 'settings.json'), log, listen: listenProvisionerApi });
  await core.start();
  const desk: RunningDeskServer = await startDeskServer({ core, rendererDir: opts.rendererDir, log });
  const deskOrigin = new URL(desk.url).origin;

  // Deny every web permission except the clipboard write the copy buttons use.
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(isAllowedPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => isAllowedPermission(permission));

  // The page asks once, synchronously, where the desk API is and its token.
  ipcMain.on(IPC_CHANNELS.connection, (event) => {
    const answer: DeskConnection | null = isTrustedSender(event.senderFrame?.url, deskOrigin) ? { url: desk.url, token: desk.token } : null;
    event.returnValue = answer;
  });
  ipcMain.handle(IPC_CHANNELS.chooseFolder, async (event) => {
    if (!isTrustedSender(event.senderFrame?.url, deskOrigin)) throw new Error('refused: not the desk page');
    const win = BrowserWindow.fromWebContents(event.sender);
    const r = win
      ? await dialog.showOpenDialog(win, { properties: ['openDirectory'] })
      : await dialog.showOpenDialog({ properties: ['openDirectory'] });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, deskOrigin)) event.preventDefault();
    });
    // Never a window of ours; a sandbox's address opens in the browser after the person
    // agrees, and nothing else opens at all.
    contents.setWindowOpenHandler(({ url }) => {
      void openLink(url);
      return { action: 'deny' };
    });
  });

  const openLink = (url: string) =>
    openSandboxLink(url, {
      // The sandboxes' own URLs and the local addresses Open made for them.
      sandboxes: async () => [...(await core.listSandboxes()).sandboxes, ...core.openedAddresses()],
      confirm: async (id, target) => {
        const options = {
          type: 'question' as const,
          buttons: ['Open in browser', 'Cancel'],
          defaultId: 0,
          cancelId: 1,
          message: `Open sandbox ${id} in your browser?`,
          detail: target,
        };
        const owner = BrowserWindow.getFocusedWindow();
        const answer = owner ? await dialog.showMessageBox(owner, options) : await dialog.showMessageBox(options);
        return answer.response === 0;
      },
      open: (target) => shell.openExternal(target),
      log,
    });

  const stateFile = join(userData, 'window-state.json');
  const saved = existsSync(stateFile) ? safeJson(readFileSync(stateFile, 'utf8')) : undefined;
  const state = restoreWindowState(
    saved,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    ...state,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Sandbox Provisioner',
    webPreferences: secureWebPreferences(opts.mainDir),
  });
  if (state.maximized) win.maximize();
  const saveState = () => {
    const b = win.getNormalBounds();
    const s: WindowState = { ...b, maximized: win.isMaximized() };
    writeFileSync(stateFile, JSON.stringify(s));
  };
  win.on('close', saveState);
  win.once('ready-to-show', () => win.show());
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  const quit = async () => {
    await desk.close().catch(() => undefined);
    await core.close().catch(() => undefined);
  };
  app.on('window-all-closed', () => {
    void quit().finally(() => app.quit());
  });
  await win.loadURL(`${desk.url}/`);
  return { quit };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
