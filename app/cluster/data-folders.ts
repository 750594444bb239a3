// DeerFlow's data folders as a local cluster sees them (pure): both kind and minikube mount
// them at the same path inside the node, so the provisioner's hostPath settings name them.
import { posix } from 'node:path';

/** A plan that cannot be carried out; each problem reads "--option: what is wrong". */
export class InvalidPlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`the cluster plan has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidPlanError';
  }
}

/** `/a/b/` → `/a/b` (normalised, no trailing slash; `/` stays `/`). */
export function normalizeDir(dir: string): string {
  const n = posix.normalize(dir);
  return n.length > 1 ? n.replace(/\/$/, '') : n;
}

/** `dir` is `parent` or lies inside it. */
export function isWithin(dir: string, parent: string): boolean {
  const d = normalizeDir(dir);
  const p = normalizeDir(parent);
  return d === p || d.startsWith(p === '/' ? '/' : `${p}/`);
}

/**
 * The provisioner's host paths for a data folder (DeerFlow's base folder): it is
 * DEER_FLOW_HOST_BASE_DIR, so the skills_view projections and the extra mounts the Gateway
 * forwards lie in the folder the node mounts. A separate skills folder is the seed era's
 * single skills mount (SKILLS_HOST_PATH, with no base folder set).
 */
export function hostPathSettings(
  dataDir: string,
  skillsDir: string | undefined,
): { THREADS_HOST_PATH: string; DEER_FLOW_HOST_BASE_DIR: string } | { THREADS_HOST_PATH: string; SKILLS_HOST_PATH: string } {
  const data = normalizeDir(dataDir);
  const threads = posix.join(data, 'threads');
  return skillsDir === undefined
    ? { THREADS_HOST_PATH: threads, DEER_FLOW_HOST_BASE_DIR: data }
    : { THREADS_HOST_PATH: threads, SKILLS_HOST_PATH: normalizeDir(skillsDir) };
}
