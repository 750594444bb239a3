// A PATH for tests that start programs: the folders a test names first, then one folder of
// links to the basic tools stand-in scripts use (sh, cat, printf, …) and node. Never the
// machine's own folders: docker, kind, minikube or kubectl installed there (/usr/bin on
// Debian, /usr/local/bin or /opt/homebrew/bin on a Mac) are not run by accident.
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the stand-in scripts and wrappers under test/ call. */
const BASIC_TOOLS = [
  'sh',
  'bash',
  'cat',
  'echo',
  'printf',
  'sleep',
  'env',
  'tr',
  'sed',
  'grep',
  'head',
  'tail',
  'mkdir',
  'rm',
  'date',
  'dirname',
  'basename',
  'touch',
  'cp',
  'mv',
  'ls',
  'true',
  'false',
  'test',
  '[',
  'wc',
  'cut',
  'sort',
  'uname',
  'id',
  'kill',
  'seq',
  'tee',
  'readlink',
  'mktemp',
  'chmod',
  'ln',
  'xargs',
  'stat',
  'base64',
  'find',
];
const SYSTEM_DIRS = ['/usr/bin', '/bin'];

let basicDir: string | undefined;

function basicToolsDir(): string {
  if (basicDir) return basicDir;
  const dir = mkdtempSync(join(tmpdir(), 'spd-basic-tools-'));
  for (const tool of BASIC_TOOLS) {
    const found = SYSTEM_DIRS.map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) symlinkSync(found, join(dir, tool));
  }
  symlinkSync(process.execPath, join(dir, 'node'));
  basicDir = dir;
  return dir;
}

/** `dirs` (stand-ins, wrappers, real tools the test means to run), then the basic tools. */
export function hermeticPath(...dirs: string[]): string {
  return [...dirs, basicToolsDir()].join(':');
}
