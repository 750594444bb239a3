// The packaged desktop app's security settings (electron-builder.yml), checked against
// electron-builder's own schema so a misspelt fuse cannot pass silently, and the Electron major
// against the ones Electron still supports (docs/security.md says where that list comes from).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const builder = parse(readFileSync('electron-builder.yml', 'utf8')) as { electronFuses?: Record<string, boolean> };
const scheme = require('app-builder-lib/scheme.json') as { definitions: Record<string, { properties?: Record<string, unknown> }> };

/** Electron supports its newest three majors; 45 was the newest on 2026-12-01. */
const SUPPORTED_ELECTRON_MAJORS = [43, 44, 45];

describe('packaging', () => {
  it('flips the fuses of the security checklist, each one a fuse electron-builder knows', () => {
    const fuses = builder.electronFuses ?? {};
    const known = Object.keys(scheme.definitions.FuseOptionsV1?.properties ?? {});
    expect(known.length).toBeGreaterThan(5);
    for (const name of Object.keys(fuses)) expect(known).toContain(name);
    expect(fuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('uses a supported Electron major', () => {
    const installed = (require('electron/package.json') as { version: string }).version;
    expect(SUPPORTED_ELECTRON_MAJORS).toContain(Number(installed.split('.')[0]));
  });
});
