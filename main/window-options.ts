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

export function isExternalWebLink(target: string): boolean {
  try {
    const u = new URL(target);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
