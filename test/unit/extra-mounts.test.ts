// Upstream's extra-mount checks (docs/provisioner.md): each refusal with its exact message, in
// upstream's order, and what a good mount becomes.
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_EXTRA_MOUNT_PATHS,
  checkExtraMounts,
  type ExtraMount,
  ExtraMountError,
  larkModeOf,
  MAX_EXTRA_MOUNTS,
  withoutLarkRuntime,
} from '../../app/sandbox/extra-mounts.js';

const B = '/srv/df';
const ok = (container_path: string, host_path = `${B}/users/alice/x`, read_only = false): ExtraMount => ({
  host_path,
  container_path,
  read_only,
});
const refusal = (mounts: ExtraMount[], base: string | undefined = B, pvc = false) => {
  try {
    checkExtraMounts(mounts, base, { pvc });
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ExtraMountError);
    return (e as Error).message;
  }
};

describe('checkExtraMounts', () => {
  it("keeps upstream's allowlist and limit (the Gateway's contract test requires both)", () => {
    expect([...ALLOWED_EXTRA_MOUNT_PATHS]).toEqual([
      '/mnt/acp-workspace',
      '/mnt/skills/custom',
      '/mnt/skills/integrations',
      '/mnt/integrations/lark-cli/config',
      '/mnt/integrations/lark-cli/config/locks',
      '/mnt/integrations/lark-cli/data',
      '/mnt/integrations/lark-cli/runtime',
    ]);
    expect(MAX_EXTRA_MOUNTS).toBe(10);
  });

  it('refuses with upstream messages', () => {
    expect(refusal(Array.from({ length: 11 }, () => ok('/mnt/acp-workspace')))).toBe('Too many extra mounts; max is 10');
    expect(refusal([ok('/mnt/acp-workspace', 'relative/dir')])).toBe('Extra mount host path must be absolute: relative/dir');
    expect(refusal([ok('/mnt/acp-workspace', 'C:\\df\\x')])).toBe('Extra mount host path must be absolute: C:\\df\\x');
    expect(refusal([ok('/mnt/acp-workspace', '/etc')])).toBe('Extra mount host path is outside DeerFlow state: /etc');
    expect(refusal([ok('/mnt/acp-workspace', `${B}/../etc`)])).toBe(`Extra mount host path is outside DeerFlow state: ${B}/../etc`);
    expect(refusal([ok('/mnt/acp-workspace', `${B}x/y`)])).toBe(`Extra mount host path is outside DeerFlow state: ${B}x/y`);
    expect(refusal([ok('mnt/acp-workspace')])).toBe('Extra mount path must be absolute: mnt/acp-workspace');
    expect(refusal([ok('/mnt/user-data')])).toBe('Unsupported extra mount path: /mnt/user-data');
    expect(refusal([ok('/mnt/acp-workspace'), ok('/mnt/acp-workspace/')])).toBe('Duplicate extra mount path: /mnt/acp-workspace');
    // No base folder (DEER_FLOW_HOST_BASE_DIR empty, no fallback): every mount is outside.
    expect(() => checkExtraMounts([ok('/mnt/acp-workspace')], undefined, { pvc: false })).toThrow(
      /^Extra mount host path is outside DeerFlow state/,
    );
    expect(refusal([ok('/mnt/acp-workspace', B)], B, true)).toBe(`Invalid extra mount host path: ${B}`);
  });

  it('checks in upstream order: the count first, then each mount host path before container path', () => {
    expect(refusal([ok('/nope', '/etc')])).toBe('Extra mount host path is outside DeerFlow state: /etc');
    expect(refusal([ok('/nope'), ok('/mnt/acp-workspace', 'rel')])).toBe('Unsupported extra mount path: /nope');
    expect(refusal(Array.from({ length: 11 }, () => ok('/nope', 'rel')))).toBe('Too many extra mounts; max is 10');
  });

  it('normalises paths and keeps the place relative to the base', () => {
    expect(checkExtraMounts([ok('/mnt/skills//custom/', `${B}/users/alice/./skills_view/custom`, true)], B, { pvc: true })).toEqual([
      {
        hostPath: `${B}/users/alice/skills_view/custom`,
        containerPath: '/mnt/skills/custom',
        readOnly: true,
        relative: 'users/alice/skills_view/custom',
      },
    ]);
  });
});

describe('Lark patterns', () => {
  const images = { init: 'init:1', broker: 'broker:1' };
  it('B supersedes A; each needs its image', () => {
    expect(larkModeOf({ provision_lark_cli_runtime: true, provision_lark_cli_broker: true }, images)).toBe('broker');
    expect(larkModeOf({ provision_lark_cli_runtime: true }, images)).toBe('runtime');
    expect(larkModeOf({ provision_lark_cli_broker: true }, { init: 'init:1', broker: undefined })).toBe('none');
    expect(larkModeOf({ provision_lark_cli_runtime: true }, { init: undefined, broker: 'broker:1' })).toBe('none');
    expect(larkModeOf({}, images)).toBe('none');
  });

  it('drops the runtime mount before the checks when a pattern provides it', () => {
    const mounts = [ok('/mnt/integrations/lark-cli/runtime', '/outside/too'), ok('/mnt/acp-workspace')];
    expect(withoutLarkRuntime(mounts, 'runtime')).toEqual([mounts[1]]);
    expect(withoutLarkRuntime(mounts, 'none')).toEqual(mounts);
  });
});
