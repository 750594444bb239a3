import { describe, expect, it } from 'vitest';
import { isAllowedNavigation, isExternalWebLink, secureWebPreferences } from '../../main/window-options.js';

describe('Electron window security settings', () => {
  it("follow Electron's security checklist", () => {
    expect(secureWebPreferences('/app/dist/main')).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/dist/main/preload.cjs',
    });
  });

  it('allow navigation only within the desk origin', () => {
    const origin = 'http://127.0.0.1:43123';
    expect(isAllowedNavigation('http://127.0.0.1:43123/sandboxes', origin)).toBe(true);
    expect(isAllowedNavigation('http://127.0.0.1:43124/', origin)).toBe(false);
    expect(isAllowedNavigation('https://example.com/', origin)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', origin)).toBe(false);
    expect(isAllowedNavigation('not a url', origin)).toBe(false);
  });

  it('open only http(s) links outside', () => {
    expect(isExternalWebLink('https://github.com/bytedance/deer-flow')).toBe(true);
    expect(isExternalWebLink('file:///etc/passwd')).toBe(false);
    expect(isExternalWebLink('javascript:alert(1)')).toBe(false);
    expect(isExternalWebLink('smb://host/share')).toBe(false);
  });
});
