// Pure pieces of the Electron main process, kept free of `electron` imports so they can be
// unit-tested in Node: the window's security settings and the navigation rules.
import { join } from 'node:path';

export interface SecureWebPreferences {
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  preload: string;
}

export function secureWebPreferences(distMainDir: string): SecureWebPreferences {
  return {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    preload: join(distMainDir, 'preload.cjs'),
  };
}

/**
 * The window may only show the renderer itself: a page of the desk API's own origin
 * (http://127.0.0.1:<port>). Everything else is refused; http(s) links open in the browser.
 */
export function isAllowedNavigation(target: string, deskOrigin: string): boolean {
  try {
    return new URL(target).origin === deskOrigin;
  } catch {
    return false;
  }
}

/**
 * The sandbox a link opens, when it is the address of one the app shows (same http(s) origin
 * as its sandbox_url); undefined for any other address, which the app never opens (a page
 * that could open any URL could hand the browser anything, file:// and custom schemes included).
 */
export function sandboxOfLink(target: string, sandboxes: { sandbox_id: string; sandbox_url: string | null }[]): string | undefined {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  for (const s of sandboxes) {
    if (!s.sandbox_url) continue;
    try {
      if (new URL(s.sandbox_url).origin === u.origin) return s.sandbox_id;
    } catch {
      // an unparseable sandbox URL matches nothing
    }
  }
  return undefined;
}

/**
 * What the window-open handler does with a link: a sandbox's address opens in the browser
 * once the person agrees; any other address is refused (and said in the log). Returns whether
 * it was opened.
 */
export async function openSandboxLink(
  url: string,
  deps: {
    sandboxes: () => Promise<{ sandbox_id: string; sandbox_url: string | null }[]>;
    confirm: (sandboxId: string, url: string) => Promise<boolean>;
    open: (url: string) => Promise<void>;
    log: (line: string) => void;
  },
): Promise<boolean> {
  const id = sandboxOfLink(url, await deps.sandboxes().catch(() => []));
  if (!id) {
    deps.log(`refused to open ${url}: not the address of a sandbox this app shows`);
    return false;
  }
  if (!(await deps.confirm(id, url))) return false;
  await deps.open(url);
  return true;
}

/** IPC is answered only for the desk page itself (its top frame), never for other content. */
export function isTrustedSender(frameUrl: string | undefined, deskOrigin: string): boolean {
  if (!frameUrl) return false;
  try {
    return new URL(frameUrl).origin === deskOrigin;
  } catch {
    return false;
  }
}

/** The only web permission the UI needs: writing to the clipboard (copy buttons). */
export function isAllowedPermission(permission: string): boolean {
  return permission === 'clipboard-sanitized-write';
}

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 820, maximized: false };

/**
 * The saved window state if it is sane and still on a screen (a monitor may have been
 * unplugged since), else the default size, centred by the OS.
 */
export function restoreWindowState(saved: unknown, workAreas: Rect[]): WindowState {
  const s = saved as Partial<WindowState> | undefined;
  if (!s || typeof s.width !== 'number' || typeof s.height !== 'number') return DEFAULT_WINDOW;
  const width = Math.max(800, Math.min(s.width, 10_000));
  const height = Math.max(560, Math.min(s.height, 10_000));
  const maximized = s.maximized === true;
  if (typeof s.x !== 'number' || typeof s.y !== 'number') return { width, height, maximized };
  const { x, y } = s;
  // Visible enough: the title bar's first 100 px lie on some screen.
  const visible = workAreas.some((a) => x + 100 > a.x && x < a.x + a.width && y >= a.y && y < a.y + a.height - 40);
  return visible ? { x, y, width, height, maximized } : { width, height, maximized };
}
