// One wording of a local CLI's state for the terminal (`cluster detect`) and the Cluster screen.
// Pure (no execa), so the renderer can import it.
import type { ToolStatus } from './tools.js';

export function toolStatusText(t: ToolStatus): string {
  if ('version' in t) return t.problem ? `${t.version}, but: ${t.problem}` : t.version;
  if ('hint' in t) return `not installed — ${t.hint}`;
  return `error — ${t.error}`;
}

/** Why kind cannot create a cluster right now, as far as the docker CLI tells (kind runs on it). */
export function dockerBlocker(tools: ToolStatus[] | undefined): string | undefined {
  const docker = tools?.find((t) => t.tool === 'docker');
  if (!docker) return undefined;
  if ('hint' in docker) return `kind needs docker, which is not installed: ${docker.hint}`;
  if ('problem' in docker) return docker.problem;
  return undefined;
}
