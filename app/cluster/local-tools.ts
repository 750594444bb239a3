// What this machine has for local clusters: the kind, minikube and docker CLIs (version, or
// "not installed" with the install hint, or the error), and the clusters kind and minikube
// know. Shared by `cluster detect` and the Cluster screen.
import { listKindClusters } from './kind.js';
import {
  detectTool,
  type MinikubeProfile,
  parseMinikubeProfiles,
  type RunOptions,
  runTool,
  type ToolName,
  type ToolStatus,
} from './tools.js';

export interface LocalTools {
  tools: ToolStatus[];
  /** Undefined when kind is not usable; `kindError` says why listing failed. */
  kindClusters: string[] | undefined;
  kindError?: string;
  minikubeProfiles: MinikubeProfile[] | undefined;
  minikubeError?: string;
}

export async function detectLocalTools(opts: RunOptions = {}): Promise<LocalTools> {
  const tools = await Promise.all((['kind', 'minikube', 'docker'] as ToolName[]).map((t) => detectTool(t, opts)));
  const usable = (t: ToolName) => tools.some((s) => s.tool === t && 'version' in s);
  const out: LocalTools = { tools, kindClusters: undefined, minikubeProfiles: undefined };
  await Promise.all([
    usable('kind') &&
      listKindClusters(opts).then(
        (c) => {
          out.kindClusters = c;
        },
        (e: Error) => {
          out.kindError = e.message;
        },
      ),
    usable('minikube') &&
      runTool('minikube', ['profile', 'list', '-o', 'json'], opts).then(
        (r) => {
          out.minikubeProfiles = parseMinikubeProfiles(r.stdout);
        },
        (e: Error) => {
          out.minikubeError = e.message;
        },
      ),
  ]);
  return out;
}
