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

/** The provisioner's host paths for a data folder (and a skills folder elsewhere). */
export function hostPathSettings(dataDir: string, skillsDir: string | undefined): { THREADS_HOST_PATH: string; SKILLS_HOST_PATH: string } {
  const data = normalizeDir(dataDir);
  return {
    THREADS_HOST_PATH: posix.join(data, 'threads'),
    SKILLS_HOST_PATH: skillsDir === undefined ? posix.join(data, 'skills') : normalizeDir(skillsDir),
  };
}
