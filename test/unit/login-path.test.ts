// The login shell's PATH for GUI launches: merged after ours, read between markers whatever
// the profile prints, and given up on (never waited for) when the shell fails or hangs.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loginShellPath, mergePath, pathFromShellOutput } from '../../app/cluster/login-path.js';
import { hermeticPath } from '../support/hermetic-path.js';

/** A stand-in login shell: prints what a profile might, then runs the command it is given. */
function shell(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spd-shell-'));
  const p = join(dir, 'fake-shell');
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

describe('mergePath', () => {
  it('keeps ours first and adds only the folders it lacks', () => {
    expect(mergePath('/usr/bin:/bin', '/opt/homebrew/bin:/usr/bin:/Users/me/go/bin')).toBe(
      '/usr/bin:/bin:/opt/homebrew/bin:/Users/me/go/bin',
    );
    expect(mergePath(undefined, '/a::/b')).toBe('/a:/b');
  });

  it('reads the PATH between the markers, ignoring banners', () => {
    expect(pathFromShellOutput('Welcome!\n__SPD_PATH__/opt/homebrew/bin:/usr/bin__SPD_PATH__')).toBe('/opt/homebrew/bin:/usr/bin');
    expect(pathFromShellOutput('no markers')).toBeUndefined();
  });
});

describe('loginShellPath', () => {
  const env = (SHELL: string) => ({ PATH: hermeticPath(), SHELL, HOME: tmpdir() });

  it("asks the user's shell as a login shell", async () => {
    const s = shell(`echo "profile banner"\nexport PATH=/opt/homebrew/bin:/usr/bin\nshift\nexec /bin/sh -c "$1"`);
    expect(await loginShellPath(env(s), { platform: 'darwin' })).toBe('/opt/homebrew/bin:/usr/bin');
  });

  it('gives up on a failing or hanging shell, and on Windows', async () => {
    expect(await loginShellPath(env(shell('exit 3')), { platform: 'linux' })).toBeUndefined();
    const started = Date.now();
    expect(await loginShellPath(env(shell('sleep 30')), { platform: 'linux', timeoutMs: 300 })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await loginShellPath(env('/bin/sh'), { platform: 'win32' })).toBeUndefined();
  });
});
