// DeerFlow's data folders as a local cluster sees them (pure): both kind and minikube mount
// them at the same path inside the node, so the provisioner's hostPath settings name them.
import { posix } from 'node:path';
import { FieldsError } from '../errors.js';

/** One thing wrong with a cluster plan: the CLI option to change, and what is wrong with it. */
export interface PlanProblem {
  option: '--name' | '--data-dir' | '--skills-dir' | '--node-ports' | '--listen-address' | '--image';
  message: string;
}

/** The request field (Cluster screen form, desk API body) each option is. */
const FIELD_OF_OPTION: Record<PlanProblem['option'], string> = {
  '--name': 'name',
  '--data-dir': 'dataDir',
  '--skills-dir': 'skillsDir',
  '--node-ports': 'nodePorts',
  '--listen-address': 'listenAddress',
  '--image': 'nodeImage',
};

/**
 * A plan that cannot be carried out, with every problem as data: the CLI shows them as
 * "--option: what is wrong" (`problems`), the desk API on the form's fields (`fields`).
 */
export class InvalidPlanError extends FieldsError {
  readonly problems: string[];
  constructor(found: PlanProblem[]) {
    const problems = found.map((p) => `${p.option}: ${p.message}`);
    super(
      found.map((p) => ({ field: FIELD_OF_OPTION[p.option], message: p.message })),
      `the cluster plan has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.problems = problems;
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
