// The import order of docs/architecture.md is enforced by Biome's noRestrictedImports
// (biome.json overrides per folder): a file that imports upward fails the lint, one that
// imports downward passes. Checked through Biome itself, on source given on stdin.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const biome = resolve('node_modules/@biomejs/biome/bin/biome');
const config = JSON.parse(readFileSync('biome.json', 'utf8')) as Record<string, unknown>;

/** Lints one file at `path` of a scratch tree that has this project's biome.json (no git there). */
function lint(path: string, source: string): { code: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'spd-layers-'));
  writeFileSync(join(root, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), source);
  const r = spawnSync(process.execPath, [biome, 'lint', path], { cwd: root, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('layers', () => {
  it.each([
    ['app/config/x.ts', "import { SandboxProvisioner } from '../sandbox/provisioner.js';"],
    ['app/kube/x.ts', "import { buildPod } from '../sandbox/specs.js';"],
    ['app/sandbox/x.ts', "import { startDeskServer } from '../server/desk-api.js';"],
    ['app/migration/x.ts', "import { detectLocalTools } from '../cluster/local-tools.js';"],
    ['app/desk/x.ts', "import { connectCluster } from '../core/connection.js';"],
    ['app/core/x.ts', "import { listenProvisionerApi } from '../server/serve.js';"],
    ['app/server/x.ts', "import { main } from '../cli/main.js';"],
    ['renderer/src/x.ts', "import { connectCluster } from '../../app/core/connection.js';"],
    ['renderer/src/x.ts', "import { readFileSync } from 'node:fs';"],
  ])('%s may not %s', (path, source) => {
    const r = lint(path, `${source}\nexport const used = 1;\n`);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('noRestrictedImports');
  });

  it.each([
    ['app/sandbox/x.ts', "import { loadConfig } from '../config/config.js';"],
    ['app/core/x.ts', "import { SandboxProvisioner } from '../sandbox/provisioner.js';"],
    ['app/server/x.ts', "import { connectCluster } from '../core/connection.js';"],
    ['renderer/src/x.ts', "import { sandboxIdProblem } from '../../app/sandbox/names.js';"],
  ])('%s may %s', (path, source) => {
    const r = lint(path, `${source}\nexport const used = [${source.match(/\{ (\w+) \}/)?.[1]}];\n`);
    expect(r.output).not.toContain('noRestrictedImports');
  });
});
