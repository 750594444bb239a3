// npm start: builds, then opens the desktop app. Where Electron's binary could not be
// installed (no access to its download), says so and what to use instead, rather than
// failing with Electron's own stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

let electronPath;
try {
  electronPath = createRequire(import.meta.url)('electron');
} catch {
  electronPath = undefined;
}
if (typeof electronPath !== 'string' || !existsSync(electronPath)) {
  console.error(
    [
      "Electron's binary is not installed on this machine (its download failed or was skipped).",
      '  - With internet access: `node node_modules/electron/install.js` (or `npm rebuild electron`), then `npm start` again.',
      '  - Without it, the same UI runs in a browser: `npm run serve` (your cluster) or `npm run demo` (simulated cluster).',
    ].join('\n'),
  );
  process.exit(1);
}
const build = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const app = spawnSync(electronPath, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(app.status ?? 0);
