// Per-request extra mounts and the Lark sidecars, as upstream's provisioner has them today
// (docs/provisioner.md, "Upstream as it is today"): the allowlist, the checks in upstream's
// order with its exact 400 messages, and the mapping to volumes. Pure: no cluster, no files.

import { posix } from 'node:path';
import { AppError } from '../errors.js';

export interface ExtraMount {
  host_path: string;
  container_path: string;
  read_only?: boolean | undefined;
}

/** What the Gateway may forward (upstream's ALLOWED_EXTRA_MOUNT_PATHS; its client checks equality). */
export const ALLOWED_EXTRA_MOUNT_PATHS = [
  '/mnt/acp-workspace',
  '/mnt/skills/custom',
  '/mnt/skills/integrations',
  '/mnt/integrations/lark-cli/config',
  '/mnt/integrations/lark-cli/config/locks',
  '/mnt/integrations/lark-cli/data',
  '/mnt/integrations/lark-cli/runtime',
] as const;
export const MAX_EXTRA_MOUNTS = 10;

export const LARK_RUNTIME_PATH = '/mnt/integrations/lark-cli/runtime';
export const LARK_CONFIG_PATH = '/mnt/integrations/lark-cli/config';
export const LARK_LOCKS_PATH = '/mnt/integrations/lark-cli/config/locks';
export const LARK_DATA_PATH = '/mnt/integrations/lark-cli/data';
export const LARK_BROKER_URL = 'http://127.0.0.1:8788';

/** An extra mount refused as upstream refuses it: 400 with exactly this message. */
export class ExtraMountError extends AppError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** A mount that passed the checks: normalised paths, and its place under the base folder. */
export interface CheckedMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /** host path relative to the base folder ("users/alice/…"), for a claim's subPath. */
  relative: string;
}

/** Python's posixpath.normpath, which upstream uses: like Node's, but no trailing "/". */
export function normpath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Whether `path` is `base` or inside it (Python's commonpath rule on normalised POSIX paths). */
function within(base: string, path: string): boolean {
  if (base === '/') return true;
  return path === base || path.startsWith(`${base}/`);
}

/**
 * Upstream's checks, in its order, each a 400: the count, then per mount the host path
 * (absolute after normalising, POSIX rules, so Windows paths fail; under the base), the
 * container path (absolute, allowlisted), duplicates; in claim mode a host path must name a
 * folder below the base.
 */
export function checkExtraMounts(mounts: ExtraMount[], base: string | undefined, opts: { pvc: boolean }): CheckedMount[] {
  if (mounts.length > MAX_EXTRA_MOUNTS) throw new ExtraMountError(`Too many extra mounts; max is ${MAX_EXTRA_MOUNTS}`);
  const seen = new Set<string>();
  const out: CheckedMount[] = [];
  for (const m of mounts) {
    const hostPath = normpath(m.host_path);
    if (!posix.isAbsolute(hostPath)) throw new ExtraMountError(`Extra mount host path must be absolute: ${m.host_path}`);
    if (!base || !within(base, hostPath)) throw new ExtraMountError(`Extra mount host path is outside DeerFlow state: ${m.host_path}`);
    const containerPath = normpath(m.container_path);
    if (!posix.isAbsolute(containerPath)) throw new ExtraMountError(`Extra mount path must be absolute: ${m.container_path}`);
    if (!(ALLOWED_EXTRA_MOUNT_PATHS as readonly string[]).includes(containerPath))
      throw new ExtraMountError(`Unsupported extra mount path: ${m.container_path}`);
    if (seen.has(containerPath)) throw new ExtraMountError(`Duplicate extra mount path: ${containerPath}`);
    seen.add(containerPath);
    const relative = posix.relative(base, hostPath);
    if (opts.pvc && (relative === '' || relative.split('/').includes('..')))
      throw new ExtraMountError(`Invalid extra mount host path: ${m.host_path}`);
    out.push({ hostPath, containerPath, readOnly: m.read_only === true, relative });
  }
  return out;
}

export type LarkMode = 'none' | 'runtime' | 'broker';

/** Which Lark pattern a request gets: B (broker) supersedes A (runtime); each needs its image. */
export function larkModeOf(
  request: { provision_lark_cli_runtime?: boolean | undefined; provision_lark_cli_broker?: boolean | undefined },
  images: { init: string | undefined; broker: string | undefined },
): LarkMode {
  if (request.provision_lark_cli_broker && images.broker) return 'broker';
  if (request.provision_lark_cli_runtime && images.init) return 'runtime';
  return 'none';
}

/** Mounts that Pattern A or B provides itself: dropped from the request before the checks. */
export function withoutLarkRuntime(mounts: ExtraMount[], mode: LarkMode): ExtraMount[] {
  return mode === 'none' ? mounts : mounts.filter((m) => normpath(m.container_path) !== LARK_RUNTIME_PATH);
}
