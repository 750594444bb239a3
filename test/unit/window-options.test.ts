import { describe, expect, it } from 'vitest';
import { isAllowedNavigation, openSandboxLink, sandboxOfLink, secureWebPreferences } from '../../main/window-options.js';

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

  const shown = [
    { sandbox_id: 'demo-1', sandbox_url: 'http://host.docker.internal:30123' },
    { sandbox_id: 'demo-2', sandbox_url: null },
  ];

  it('recognise only the addresses of sandboxes the app shows', () => {
    expect(sandboxOfLink('http://host.docker.internal:30123/v1/sandbox', shown)).toBe('demo-1');
    expect(sandboxOfLink('http://host.docker.internal:30124/', shown)).toBeUndefined();
    expect(sandboxOfLink('https://github.com/bytedance/deer-flow', shown)).toBeUndefined();
    expect(sandboxOfLink('file:///etc/passwd', shown)).toBeUndefined();
    expect(sandboxOfLink('javascript:alert(1)', shown)).toBeUndefined();
    expect(sandboxOfLink('not a url', shown)).toBeUndefined();
  });

  it('open a sandbox link only after the person agrees, and nothing else at all', async () => {
    const calls: string[] = [];
    const deps = (answer: boolean) => ({
      sandboxes: async () => shown,
      confirm: async (id: string, url: string) => {
        calls.push(`confirm ${id} ${url}`);
        return answer;
      },
      open: async (url: string) => {
        calls.push(`open ${url}`);
      },
      log: (line: string) => calls.push(`log ${line}`),
    });
    expect(await openSandboxLink('http://host.docker.internal:30123/', deps(true))).toBe(true);
    expect(await openSandboxLink('http://host.docker.internal:30123/', deps(false))).toBe(false);
    expect(await openSandboxLink('https://evil.example/', deps(true))).toBe(false);
    expect(calls).toEqual([
      'confirm demo-1 http://host.docker.internal:30123/',
      'open http://host.docker.internal:30123/',
      'confirm demo-1 http://host.docker.internal:30123/',
      'log refused to open https://evil.example/: not the address of a sandbox this app shows',
    ]);
  });
});
