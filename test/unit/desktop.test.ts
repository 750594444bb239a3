// The Electron main process with Electron mocked: single instance, the window's security
// settings, navigation/new-window/webview guards, permission and IPC sender checks, window
// state kept. The core and its desk API run for real (no cluster: the UI shows that).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS as IPC } from '../../app/desk/bridge.js';
import { type ElectronApi, startDesktop } from '../../main/desktop.js';
import { restoreWindowState } from '../../main/window-options.js';

type Handler = (...args: unknown[]) => unknown;

function fakeElectron(opts: { locked?: boolean; userData: string }) {
  const appHandlers = new Map<string, Handler[]>();
  const ipcOn = new Map<string, Handler>();
  const ipcHandle = new Map<string, Handler>();
  const windows: FakeWindow[] = [];
  const permission: { request?: Handler; check?: Handler } = {};
  class FakeWindow {
    static fromWebContents = () => windows[0];
    handlers = new Map<string, Handler>();
    loaded: string | undefined;
    maximized = false;
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this);
    }
    on(ev: string, h: Handler) {
      this.handlers.set(ev, h);
    }
    once(ev: string, h: Handler) {
      this.handlers.set(ev, h);
    }
    maximize() {
      this.maximized = true;
    }
    isMaximized() {
      return this.maximized;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    getNormalBounds() {
      return { x: 10, y: 20, width: 1111, height: 777 };
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
  }
  const electron = {
    app: {
      requestSingleInstanceLock: () => opts.locked ?? true,
      quit: vi.fn(),
      exit: vi.fn(),
      whenReady: async () => undefined,
      getPath: () => opts.userData,
      on: (ev: string, h: Handler) => appHandlers.set(ev, [...(appHandlers.get(ev) ?? []), h]),
    },
    BrowserWindow: FakeWindow,
    shell: { openExternal: vi.fn(async () => undefined) },
    ipcMain: { on: (ch: string, h: Handler) => ipcOn.set(ch, h), handle: (ch: string, h: Handler) => ipcHandle.set(ch, h) },
    dialog: {
      showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/picked'] })),
      showMessageBox: vi.fn(async () => ({ response: 0 })),
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Handler) => {
          permission.request = h;
        },
        setPermissionCheckHandler: (h: Handler) => {
          permission.check = h;
        },
      },
    },
  };
  return {
    electron: electron as unknown as ElectronApi,
    appHandlers,
    ipcOn,
    ipcHandle,
    windows,
    permission,
    app: electron.app,
    shell: electron.shell,
    dialog: electron.dialog,
  };
}

const running: { quit: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.quit()));
});

async function start(opts: { locked?: boolean; state?: unknown } = {}) {
  const userData = mkdtempSync(join(tmpdir(), 'spd-userdata-'));
  if (opts.state) writeFileSync(join(userData, 'window-state.json'), JSON.stringify(opts.state));
  const f = fakeElectron({ locked: opts.locked, userData });
  vi.stubEnv('KUBECONFIG_PATH', join(userData, 'no-kubeconfig'));
  const r = await startDesktop(f.electron, {
    mainDir: '/app/dist/main',
    rendererDir: join(userData, 'no-renderer'),
    log: () => {},
    loginPath: async () => '/opt/from-login-shell/bin',
  });
  if (r) running.push(r);
  return { ...f, userData, result: r };
}

/** Fakes the pieces of a web-contents the guards attach to, and returns what they decided. */
function webContents(f: Awaited<ReturnType<typeof start>>) {
  const on = new Map<string, Handler>();
  let openHandler: Handler | undefined;
  const contents = { on: (ev: string, h: Handler) => on.set(ev, h), setWindowOpenHandler: (h: Handler) => (openHandler = h) };
  for (const h of f.appHandlers.get('web-contents-created') ?? []) h({}, contents);
  const prevented = (ev: string, ...args: unknown[]) => {
    let p = false;
    on.get(ev)?.({ preventDefault: () => (p = true) }, ...args);
    return p;
  };
  return { prevented, open: (url: string) => openHandler?.({ url }) };
}

describe('desktop main process (Electron mocked)', () => {
  it('a second instance quits at once, opening nothing', async () => {
    const f = await start({ locked: false });
    expect(f.result).toBeUndefined();
    expect(f.app.quit).toHaveBeenCalled();
    expect(f.windows).toHaveLength(0);
  });

  it('adds the login shell PATH it was given after its own (GUI launches have a minimal one)', async () => {
    await start();
    expect(process.env.PATH?.split(':').at(-1)).toBe('/opt/from-login-shell/bin');
  });

  it('opens one window on the desk page with the security checklist applied', async () => {
    const f = await start();
    const win = f.windows[0];
    expect(win?.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    expect(win?.loaded).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers the connection IPC only for the desk page', async () => {
    const f = await start();
    const origin = new URL(f.windows[0]?.loaded ?? '').origin;
    const ask = (frameUrl: string) => {
      const event: { senderFrame: { url: string }; returnValue?: unknown } = { senderFrame: { url: frameUrl } };
      f.ipcOn.get(IPC.connection)?.(event);
      return event.returnValue;
    };
    expect(ask(`${origin}/#/sandboxes`)).toEqual({ url: origin, token: expect.stringMatching(/^[\w-]{20,}$/) });
    expect(ask('https://evil.example/')).toBeNull();
    expect(ask('file:///tmp/x.html')).toBeNull();
    const choose = f.ipcHandle.get(IPC.chooseFolder);
    await expect(choose?.({ senderFrame: { url: 'https://evil.example/' }, sender: {} })).rejects.toThrow(/refused/);
    await expect(choose?.({ senderFrame: { url: `${origin}/` }, sender: {} })).resolves.toBe('/picked');
  });

  it('keeps every web contents on the desk origin: no navigation away, no new windows, no webviews', async () => {
    const f = await start();
    const origin = new URL(f.windows[0]?.loaded ?? '').origin;
    const wc = webContents(f);
    expect(wc.prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(wc.prevented('will-navigate', `${origin}/#/cluster`)).toBe(false);
    expect(wc.prevented('will-attach-webview')).toBe(true);
    // No sandbox shows (no cluster): an outside address is neither opened nor asked about.
    expect(wc.open('https://kind.sigs.k8s.io/')).toEqual({ action: 'deny' });
    expect(wc.open('file:///etc/passwd')).toEqual({ action: 'deny' });
    await new Promise((r) => setTimeout(r, 50));
    expect(f.shell.openExternal).not.toHaveBeenCalled();
    expect(f.dialog.showMessageBox).not.toHaveBeenCalled();
  });

  it('grants only the clipboard-write permission', async () => {
    const f = await start();
    const decide = (p: string) => {
      let granted: boolean | undefined;
      f.permission.request?.({}, p, (g: boolean) => (granted = g));
      return granted;
    };
    expect(decide('clipboard-sanitized-write')).toBe(true);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) expect(decide(p)).toBe(false);
    expect(f.permission.check?.({}, 'media')).toBe(false);
  });

  it('remembers the window state', async () => {
    const f = await start({ state: { x: 100, y: 50, width: 1000, height: 700, maximized: true } });
    const win = f.windows[0];
    expect(win?.options).toMatchObject({ x: 100, y: 50, width: 1000, height: 700 });
    expect(win?.maximized).toBe(true);
    win?.handlers.get('close')?.();
    expect(JSON.parse(readFileSync(join(f.userData, 'window-state.json'), 'utf8'))).toEqual({
      x: 10,
      y: 20,
      width: 1111,
      height: 777,
      maximized: true,
    });
  });
});

describe('restoreWindowState', () => {
  const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  it('drops a position that is off every screen, and bad sizes', () => {
    expect(restoreWindowState({ x: 5000, y: 5000, width: 1000, height: 700, maximized: false }, screens)).toEqual({
      width: 1000,
      height: 700,
      maximized: false,
    });
    expect(restoreWindowState({ width: 10, height: 10 }, screens)).toEqual({ width: 800, height: 560, maximized: false });
    expect(restoreWindowState('garbage', screens)).toEqual({ width: 1280, height: 820, maximized: false });
  });
});
