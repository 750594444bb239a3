// The Cluster screen's create form, checked as typed (pure): every field's problem at once, in
// the words the CLI uses for the same options. The server checks again (folders must exist).
import { kindClusterNameProblem } from '../../../app/cluster/kind-config.js';
import { parseNodePortRange } from '../../../app/config/node-port-range.js';

export interface ClusterFormValues {
  name: string;
  dataDir: string;
  skillsDir: string;
  nodePorts: string;
}

export function clusterFormProblems(v: ClusterFormValues, tool: 'kind' | 'minikube'): Record<string, string> {
  const problems: Record<string, string> = {};
  const name = v.name.trim();
  if (!name) problems.name = tool === 'kind' ? 'Give the cluster a name, e.g. deer-flow' : 'Give the profile a name, e.g. deer-flow';
  else if (tool === 'kind') {
    const p = kindClusterNameProblem(name);
    if (p) problems.name = p;
  } else if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name))
    problems.name = `"${name}" is not a valid minikube profile: use letters, digits, ".", "_" and "-"`;
  if (!v.dataDir.trim()) problems.dataDir = "Choose DeerFlow's data folder (backend/.deer-flow): it is mounted into the node";
  else if (!v.dataDir.trim().startsWith('/') && !/^[A-Za-z]:[\\/]/.test(v.dataDir.trim()))
    problems.dataDir = `"${v.dataDir}" is not an absolute path: choose the folder with Browse, or type its full path`;
  if (v.skillsDir.trim() && !v.skillsDir.trim().startsWith('/') && !/^[A-Za-z]:[\\/]/.test(v.skillsDir.trim()))
    problems.skillsDir = `"${v.skillsDir}" is not an absolute path`;
  if (tool === 'kind') {
    const r = v.nodePorts.trim() ? parseNodePortRange(v.nodePorts.trim()) : 'give a range such as 30000-30049';
    if (typeof r === 'string') problems.nodePorts = `"${v.nodePorts}" is not valid: ${r}`;
  }
  return problems;
}
