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

/**
 * Why the Create button cannot work now, for the tool chosen (undefined: it can): the tool
 * itself missing, or for kind the docker it runs on. Shown beside the disabled button.
 */
export function createBlocker(tools: ToolStatus[] | undefined, tool: 'kind' | 'minikube'): string | undefined {
  const t = tools?.find((x) => x.tool === tool);
  if (t && 'hint' in t) return `${tool} is not installed: ${t.hint}`;
  if (t && 'error' in t) return `${tool} does not run: ${t.error}`;
  return tool === 'kind' ? dockerBlocker(tools) : undefined;
}
